package redact

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrFrozen is returned by every Init after the first: the process-wide
// redactor is chosen once, at start, and nothing can change it later.
var ErrFrozen = errors.New("redact: the process-wide redactor is already set and cannot change; redact_secrets and redact_patterns apply at the next start")

// slot holds a process-wide redactor that can be set once.
type slot struct {
	once sync.Once
	r    atomic.Pointer[Redactor]
}

var global slot

// builtin is the redactor with the built-in detectors only.
var builtin = sync.OnceValue(func() *Redactor {
	r, err := New(Options{})
	if err != nil {
		panic("redact: the built-in redactor failed to build: " + err.Error())
	}
	return r
})

// Init sets the process-wide redactor once, at start. Every later call
// returns ErrFrozen and changes nothing. When o is invalid (a bad Extra
// pattern) Init returns the error and the process keeps the built-in
// detectors, frozen all the same: a failed Init can never leave redaction
// off, and cannot be retried with other options.
func Init(o Options) error { return global.init(o) }

// Default returns the process-wide redactor: the one Init set or, before
// Init, the built-in detectors (redaction is on by default).
func Default() *Redactor { return global.get() }

func (s *slot) init(o Options) error {
	err := ErrFrozen
	s.once.Do(func() {
		r, nerr := New(o)
		if nerr != nil {
			r = builtin()
		}
		s.r.Store(r)
		err = nerr
	})
	return err
}

func (s *slot) get() *Redactor {
	if r := s.r.Load(); r != nil {
		return r
	}
	return builtin()
}
