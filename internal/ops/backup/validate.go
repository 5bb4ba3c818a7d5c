package backup

import (
	"archive/zip"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/home"
)

// Limits bound what an archive may hold and expand to; an archive past
// any of them is refused as a possible zip bomb before anything is read
// from it.
type Limits struct {
	MaxEntries int    // entries in the central directory
	MaxTotal   uint64 // sum of the declared uncompressed sizes
	MaxRatio   uint64 // uncompressed:compressed of one entry larger than RatioFloor
	RatioFloor uint64
}

// DefaultLimits: a home of 1 GB or so is large; 64 GiB leaves room. No
// real file compresses past 1000:1 except long runs of one byte, which no
// home holds at megabyte scale (deflate's own ceiling is about 1032:1).
var DefaultLimits = Limits{MaxEntries: 200_000, MaxTotal: 64 << 30, MaxRatio: 1000, RatioFloor: 1 << 20}

// Entry is one validated archive entry.
type Entry struct {
	Name string // clean, local, slash-separated
	File *zip.File
	Dir  bool   // a directory entry: nothing to write but the folder
	Skip string // why the entry is never written ("" when it is)
}

// RefusedError is an archive refused before anything was written.
type RefusedError struct {
	Entry  string // the offending entry's name, quoted as stored; "" for the archive
	Reason string
}

func (e *RefusedError) Error() string {
	if e.Entry == "" {
		return "refused archive: " + e.Reason + "; nothing was written"
	}
	return fmt.Sprintf("refused archive entry %q: %s; nothing was written", e.Entry, e.Reason)
}

func refuse(name, format string, args ...any) error {
	return &RefusedError{Entry: name, Reason: fmt.Sprintf(format, args...)}
}

// Validate checks every entry of an archive against the rules of import:
// local clean names (no traversal, no absolute paths, nothing that cleans
// to another name), regular files and folders only (no links, devices or
// other types), no duplicates or file/folder clashes, stored or deflated
// and unencrypted, data ranges that do not overlap, and sizes within lim.
// It reads only headers.
func Validate(files []*zip.File, lim Limits) ([]Entry, error) {
	if len(files) > lim.MaxEntries {
		return nil, refuse("", "%d entries, more than the %d allowed", len(files), lim.MaxEntries)
	}
	entries := make([]Entry, 0, len(files))
	var total uint64
	for _, f := range files {
		e, err := checkEntry(f, lim)
		if err != nil {
			return nil, err
		}
		if total += f.UncompressedSize64; total > lim.MaxTotal || total < f.UncompressedSize64 {
			return nil, refuse("", "it expands to more than %d bytes (a zip bomb?)", lim.MaxTotal)
		}
		entries = append(entries, e)
	}
	if err := checkClashes(entries); err != nil {
		return nil, err
	}
	if err := checkOverlap(entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// checkEntry validates one entry's name, type, method and size.
func checkEntry(f *zip.File, lim Limits) (Entry, error) {
	raw := f.Name
	name, dir := strings.CutSuffix(raw, "/")
	if err := CheckName(name); err != nil {
		return Entry{}, refuse(raw, "%v", err)
	}
	mode := f.Mode()
	switch {
	case dir || mode.IsDir():
		if !dir || !mode.IsDir() || f.UncompressedSize64 != 0 {
			return Entry{}, refuse(raw, "a folder entry must end in / and hold no data")
		}
	case !mode.IsRegular():
		return Entry{}, refuse(raw, "not a regular file (%s); an import writes only files and folders, never links", typeName(mode.Type().String()))
	}
	if f.Flags&0x1 != 0 {
		return Entry{}, refuse(raw, "encrypted entries are not supported")
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return Entry{}, refuse(raw, "compression method %d is not supported (only stored and deflated)", f.Method)
	}
	if f.UncompressedSize64 > lim.RatioFloor && f.UncompressedSize64/max(f.CompressedSize64, 1) > lim.MaxRatio {
		return Entry{}, refuse(raw, "it expands %d:1, past the %d:1 limit (a zip bomb?)", f.UncompressedSize64/max(f.CompressedSize64, 1), lim.MaxRatio)
	}
	if f.Method == zip.Store && f.UncompressedSize64 != f.CompressedSize64 {
		return Entry{}, refuse(raw, "a stored entry whose sizes differ")
	}
	e := Entry{Name: name, File: f, Dir: dir}
	profile, inner := homeRel(name)
	if (name == home.ProfilesDir && !dir) || (profile != "" && (home.ValidateName(profile) != nil || (inner == "" && !dir))) {
		return Entry{}, refuse(raw, "profiles/ holds only profile folders with valid names")
	}
	if !dir {
		e.Skip = transientFile(inner, path.Base(name))
	}
	return e, nil
}

func typeName(s string) string {
	switch {
	case strings.HasPrefix(s, "L"):
		return "a symbolic link"
	case strings.HasPrefix(s, "D"):
		return "a device"
	case strings.HasPrefix(s, "p"):
		return "a named pipe"
	case strings.HasPrefix(s, "S"):
		return "a socket"
	}
	return "type " + s
}

// CheckName validates an entry name (without a folder's trailing /): a
// relative, clean, slash-separated path that stays inside the home.
func CheckName(name string) error {
	switch {
	case name == "" || name == ".":
		return errors.New("empty name")
	case len(name) > 4096:
		return errors.New("name longer than 4096 bytes")
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case strings.ContainsAny(name, "\x00\\"):
		return errors.New(`name holds a NUL or a backslash`)
	case strings.HasPrefix(name, "/"):
		return errors.New("absolute path")
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return errors.New("absolute path (drive letter)")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return errors.New("path traversal (..)")
		}
		if len(part) > 255 {
			return errors.New("a path element longer than 255 bytes")
		}
		for _, r := range part {
			if r < 0x20 || r == 0x7f {
				return errors.New("name holds a control character")
			}
		}
	}
	if path.Clean(name) != name {
		return fmt.Errorf("name is not clean (it means %q)", path.Clean(name))
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// checkClashes refuses duplicate names and a name that is a file in one
// entry and a folder (itself or as a parent) in another.
func checkClashes(entries []Entry) error {
	files := map[string]bool{}
	dirs := map[string]bool{} // explicit folder entries
	parents := map[string]bool{}
	for _, e := range entries {
		seen := files
		if e.Dir {
			seen = dirs
		}
		if seen[e.Name] {
			return refuse(e.File.Name, "listed twice")
		}
		seen[e.Name] = true
		for p := path.Dir(e.Name); p != "."; p = path.Dir(p) {
			parents[p] = true
		}
	}
	for name := range files {
		if dirs[name] || parents[name] {
			return refuse(name, "it is both a file and a folder in the archive")
		}
	}
	return nil
}

// checkOverlap refuses entries whose compressed data share bytes: the
// trick behind non-recursive zip bombs.
func checkOverlap(entries []Entry) error {
	type span struct {
		start, end uint64
		name       string
	}
	spans := make([]span, 0, len(entries))
	for _, e := range entries {
		off, err := e.File.DataOffset()
		if err != nil {
			return refuse(e.File.Name, "unreadable local header: %v", err)
		}
		if off < 0 {
			return refuse(e.File.Name, "negative data offset")
		}
		spans = append(spans, span{uint64(off), uint64(off) + e.File.CompressedSize64, e.File.Name})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return refuse(spans[i].name, "its data overlaps entry %q (a zip bomb?)", spans[i-1].name)
		}
	}
	return nil
}
