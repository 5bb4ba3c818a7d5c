package mcp

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/home"
	"github.com/hermes-go/hermes/internal/redact"
)

// StderrLog is the file under the home that stdio servers' stderr goes to.
const StderrLog = "mcp-stderr.log"

// stderrLog is logs/mcp-stderr.log shared by every server of a Manager.
// Each line is written whole, stamped and named by server, after the
// redactor: a server printing its token does not leave it on disk.
type stderrLog struct {
	mu  sync.Mutex
	f   *os.File // nil: lines are dropped (no home)
	red *redact.Redactor
}

func openStderrLog(homeDir string, red *redact.Redactor) (*stderrLog, error) {
	l := &stderrLog{red: red}
	if homeDir == "" {
		return l, nil
	}
	dir := filepath.Join(homeDir, home.LogsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, StderrLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	l.f = f
	return l, nil
}

func (l *stderrLog) writeLine(server string, line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	text := string(line)
	if l.red != nil {
		text = l.red.String(text)
	}
	_, _ = l.f.WriteString(time.Now().UTC().Format(time.RFC3339) + " [" + server + "] " + text + "\n")
}

func (l *stderrLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// maxStderrLine bounds one buffered line; a longer one is written in parts.
const maxStderrLine = 16 << 10

// lineWriter is one server's stderr: it splits the stream into lines.
type lineWriter struct {
	log    *stderrLog
	server string
	mu     sync.Mutex
	buf    []byte
}

var _ io.WriteCloser = (*lineWriter)(nil)

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) >= maxStderrLine {
				w.log.writeLine(w.server, w.buf)
				w.buf = w.buf[:0]
			}
			return len(p), nil
		}
		w.log.writeLine(w.server, bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
	}
}

// Close flushes a last line without a newline.
func (w *lineWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.log.writeLine(w.server, w.buf)
		w.buf = nil
	}
	return nil
}
