// Package lazyre owns regular expressions that are compiled on first use
// instead of at program start. hermes starts for every command, and most
// commands never scan text: a package-level regexp.MustCompile costs every
// one of them the compile time (milliseconds for the scanners' tables).
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a regexp.Regexp compiled the first time it is used. A bad
// expression panics then, as regexp.MustCompile would have at start; tests
// that touch every pattern find it.
type Regexp struct {
	src  string
	once sync.Once
	rx   *regexp.Regexp
}

// New returns the lazy form of regexp.MustCompile(src).
func New(src string) *Regexp { return &Regexp{src: src} }

// Re returns the compiled expression.
func (r *Regexp) Re() *regexp.Regexp {
	r.once.Do(func() { r.rx = regexp.MustCompile(r.src) })
	return r.rx
}

// String returns the source text.
func (r *Regexp) String() string { return r.src }

// The methods of regexp.Regexp that the scanners use.

func (r *Regexp) Match(b []byte) bool                        { return r.Re().Match(b) }
func (r *Regexp) MatchString(s string) bool                  { return r.Re().MatchString(s) }
func (r *Regexp) FindIndex(b []byte) []int                   { return r.Re().FindIndex(b) }
func (r *Regexp) FindStringIndex(s string) []int             { return r.Re().FindStringIndex(s) }
func (r *Regexp) FindAllIndex(b []byte, n int) [][]int       { return r.Re().FindAllIndex(b, n) }
func (r *Regexp) FindAllStringIndex(s string, n int) [][]int { return r.Re().FindAllStringIndex(s, n) }
func (r *Regexp) FindAllSubmatchIndex(b []byte, n int) [][]int {
	return r.Re().FindAllSubmatchIndex(b, n)
}
func (r *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return r.Re().FindAllStringSubmatchIndex(s, n)
}
func (r *Regexp) FindSubmatchIndex(b []byte) []int       { return r.Re().FindSubmatchIndex(b) }
func (r *Regexp) FindStringSubmatchIndex(s string) []int { return r.Re().FindStringSubmatchIndex(s) }
func (r *Regexp) FindStringSubmatch(s string) []string   { return r.Re().FindStringSubmatch(s) }
func (r *Regexp) ReplaceAllString(src, repl string) string {
	return r.Re().ReplaceAllString(src, repl)
}
