package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Filter selects entries; the zero value selects every one.
type Filter struct {
	Components map[string]bool // empty: all; "raw" selects raw lines
	MinLevel   slog.Level
	ByLevel    bool      // MinLevel applies
	Since      time.Time // zero: no bound
}

// Match reports whether e passes the filter. A raw line has no level and
// passes any level bound (a panic matters at every level).
func (f Filter) Match(e Entry) bool {
	if len(f.Components) > 0 && !f.Components[e.Component] {
		return false
	}
	if f.ByLevel && e.HasLevel && e.Level < f.MinLevel {
		return false
	}
	if f.ByLevel && !e.HasLevel && !e.Raw {
		return false
	}
	if !f.Since.IsZero() && (e.Time.IsZero() || e.Time.Before(f.Since)) {
		return false
	}
	return true
}

// ParseSince reads --since: a duration back from now (90s, 10m, 2h, 3d,
// 1w, or Go's 1h30m) or an RFC 3339 time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("--since is empty: give a duration like 10m, 2h or 3d, or a time like 2026-01-02T15:04:05Z")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, ok := dayWeek(s); ok {
		return now.Add(-d), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("--since %q: want a positive duration like 10m, 2h or 3d, or an RFC 3339 time like 2026-01-02T15:04:05Z", s)
	}
	return now.Add(-d), nil
}

// dayWeek reads a whole number of days (3d) or weeks (1w).
func dayWeek(s string) (time.Duration, bool) {
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 || n > 36500 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// sources are the files `hermes logs` reads, each a rotated set.
var sources = []string{MainFile, RawFile}

// Read returns the entries of every log file in dir that pass f, merged
// oldest first. A raw line takes the time of the record before it in its
// file, so a panic sorts after what the gateway logged just before.
func Read(dir string, f Filter) ([]Entry, error) {
	var all []Entry
	for _, name := range sources {
		var last time.Time
		for _, p := range Files(dir, name) {
			err := readFile(p, func(e Entry) {
				if e.Time.IsZero() {
					e.Time = last
				} else {
					last = e.Time
				}
				if f.Match(e) {
					all = append(all, e)
				}
			})
			if err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all, nil
}

func readFile(path string, fn func(Entry)) error {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // rotated away between the listing and the open
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	_, err = readLines(fh, true, func(l string) { fn(ParseLine(l)) })
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// Follow prints (through emit) the entries appended to dir's current log
// files from now on, until ctx ends; it follows a file across rotation
// (drains the old one, then reads the new one from its start).
func Follow(ctx context.Context, dir string, f Filter, poll time.Duration, emit func(Entry)) error {
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	tails := make([]*tail, len(sources))
	for i, name := range sources {
		tails[i] = &tail{path: filepath.Join(dir, name)}
		tails[i].start()
	}
	defer func() {
		for _, t := range tails {
			t.close()
		}
	}()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		for _, t := range tails {
			if err := t.poll(func(e Entry) {
				if f.Match(e) {
					emit(e)
				}
			}); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// tail follows one log path.
type tail struct {
	path    string
	f       *os.File
	pending []byte
	last    time.Time
}

// start opens the file at its end: what is there was printed already.
func (t *tail) start() {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return
	}
	t.f = f
}

func (t *tail) close() {
	if t.f != nil {
		t.f.Close()
	}
}

// poll reads what was appended; when the path now names another file (a
// rotation) or the file shrank, it drains the old one and starts over.
func (t *tail) poll(emit func(Entry)) error {
	if t.f == nil {
		f, err := os.Open(t.path)
		if err != nil {
			return nil // not created yet
		}
		t.f = f
	}
	if err := t.drain(emit); err != nil {
		return err
	}
	cur, err := os.Stat(t.path)
	mine, merr := t.f.Stat()
	if merr != nil {
		return merr
	}
	if err != nil || !os.SameFile(cur, mine) {
		t.flush(emit)
		t.f.Close()
		t.f = nil
		if err == nil {
			return t.poll(emit)
		}
		return nil
	}
	if off, err := t.f.Seek(0, io.SeekCurrent); err == nil && cur.Size() < off {
		t.pending = nil
		_, err = t.f.Seek(0, io.SeekStart)
		return err
	}
	return nil
}

func (t *tail) drain(emit func(Entry)) error {
	rest, err := readLines(io.MultiReader(bytesReader(t.pending), t.f), false, func(l string) { t.emit(l, emit) })
	t.pending = rest
	return err
}

// flush emits a last line without its newline (the file is done).
func (t *tail) flush(emit func(Entry)) {
	if len(t.pending) > 0 {
		t.emit(string(t.pending), emit)
		t.pending = nil
	}
}

func (t *tail) emit(line string, emit func(Entry)) {
	e := ParseLine(line)
	if e.Time.IsZero() {
		e.Time = t.last
	} else {
		t.last = e.Time
	}
	emit(e)
}

func bytesReader(b []byte) io.Reader { return strings.NewReader(string(b)) }
