package logging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hermes-go/hermes/internal/redact"
)

// ComponentKey is the attribute naming the subsystem of a record
// (gateway, cron, chat, agent, mcp, sandbox, update ...).
const ComponentKey = "component"

// ParseLevel reads debug, info, warn or error (any case; "warning" too).
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("level %q: want debug, info, warn or error", s)
}

// NewFileHandler returns the handler of a log file: one JSON line per
// record (time, level, msg, component and the other attributes), every
// value redacted by r first.
func NewFileHandler(w io.Writer, level slog.Leveler, r *redact.Redactor) slog.Handler {
	return redact.NewHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}), r)
}

// base is the process's logger without a component (SetDefault); nil
// until a long-running command sets it.
var base atomic.Pointer[slog.Logger]

// SetDefault makes l (without a component) the process's logger and
// l.With(component=component) slog's default, so plain slog calls are
// tagged with the command's component and For tags with its own.
func SetDefault(l *slog.Logger, component string) {
	base.Store(l)
	slog.SetDefault(l.With(ComponentKey, component))
}

// For returns the process's logger for a component: the records carry
// component=name (once, whatever the default's component is).
func For(name string) *slog.Logger {
	if l := base.Load(); l != nil {
		return l.With(ComponentKey, name)
	}
	return slog.Default().With(ComponentKey, name)
}

// Fanout sends each record to every handler that is enabled for its level.
func Fanout(hs ...slog.Handler) slog.Handler {
	var keep []slog.Handler
	for _, h := range hs {
		if h != nil {
			keep = append(keep, h)
		}
	}
	return fanout(keep)
}

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// LineWriter turns what a package writes to an io.Writer (one message a
// line, like the cron scheduler's Log) into records of l at level, with
// prefix trimmed from each line. Partial lines wait for their newline.
type LineWriter struct {
	L      *slog.Logger
	Level  slog.Level
	Prefix string

	mu  sync.Mutex
	buf []byte
}

func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(w.buf[:i]))
		line = strings.TrimSpace(strings.TrimPrefix(line, strings.TrimSpace(w.Prefix)))
		w.buf = w.buf[i+1:]
		if line != "" {
			w.L.Log(context.Background(), w.Level, line)
		}
	}
	return len(p), nil
}
