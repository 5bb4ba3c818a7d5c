package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// RawComponent is the component of a line that is not a JSON record (a
// panic or runtime error the gateway's redirected stderr caught).
const RawComponent = "raw"

// Attr is one attribute of a record, its value as the JSON it was written
// as.
type Attr struct {
	Key   string
	Value json.RawMessage
}

// Entry is one line of a log file.
type Entry struct {
	Time      time.Time // zero when unknown
	Level     slog.Level
	HasLevel  bool // false for raw lines and records without a level
	Component string
	Msg       string
	Attrs     []Attr
	Line      string // the line as read, without its newline
	Raw       bool   // not a JSON object
}

// ParseLine reads one line: a JSON object as the file handler writes it,
// or anything else as a raw entry. It never fails.
func ParseLine(line string) Entry {
	line = strings.TrimRight(line, "\r\n")
	e := Entry{Line: line}
	if !parseJSON(line, &e) {
		return Entry{Line: line, Raw: true, Component: RawComponent, Msg: line}
	}
	return e
}

func parseJSON(line string, e *Entry) bool {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "{") || !json.Valid([]byte(t)) {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, ok := tok.(string)
		if !ok {
			return false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
		e.field(key, v)
	}
	return true
}

// field stores a top-level key of a record.
func (e *Entry) field(key string, v json.RawMessage) {
	var s string
	isString := json.Unmarshal(v, &s) == nil
	switch {
	case key == slog.TimeKey && isString && e.Time.IsZero():
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			e.Time = t
			return
		}
	case key == slog.LevelKey && isString && !e.HasLevel:
		var l slog.Level
		if err := l.UnmarshalText([]byte(s)); err == nil {
			e.Level, e.HasLevel = l, true
			return
		}
	case key == slog.MessageKey && isString && e.Msg == "":
		e.Msg = s
		return
	case key == ComponentKey && isString:
		e.Component = s // the last one: For's, over a default's
		return
	}
	e.Attrs = append(e.Attrs, Attr{Key: key, Value: v})
}

// Format prints an entry for a person: time, level, component, message
// and key=value attributes; a raw line as it was.
func (e Entry) Format() string {
	var b strings.Builder
	if !e.Time.IsZero() {
		b.WriteString(e.Time.Format("2006-01-02 15:04:05.000"))
	} else {
		b.WriteString(strings.Repeat(" ", len("2006-01-02 15:04:05.000")))
	}
	lvl := "-"
	if e.HasLevel {
		lvl = e.Level.String()
	}
	comp := e.Component
	if comp == "" {
		comp = "-"
	}
	fmt.Fprintf(&b, " %-5s %-8s %s", lvl, comp, e.Msg)
	for _, a := range e.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(attrText(a.Value))
	}
	return b.String()
}

// attrText is a value as text: a plain string unquoted unless it has
// spaces, anything else as compact JSON.
func attrText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" || strings.ContainsAny(s, " \t\n\"=") {
			return strconv.Quote(s)
		}
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// maxLine bounds one line read from a log file; longer lines are cut.
const maxLine = 1 << 20

// readLines calls fn for each complete line of r; a last line without its
// newline is returned as rest, unless final, when it is passed to fn too.
func readLines(r io.Reader, final bool, fn func(string)) (rest []byte, err error) {
	buf := make([]byte, 64<<10)
	var pending []byte
	for {
		n, rerr := r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.IndexByte(pending, '\n')
			if i < 0 {
				break
			}
			fn(string(pending[:i]))
			pending = pending[i+1:]
		}
		if len(pending) > maxLine {
			fn(string(pending[:maxLine]))
			pending = pending[:0]
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return pending, rerr
		}
	}
	if final && len(pending) > 0 {
		fn(string(pending))
		pending = nil
	}
	return append([]byte(nil), pending...), nil
}
