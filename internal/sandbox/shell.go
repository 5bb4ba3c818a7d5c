package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/config"
)

// Errors a persistent shell returns once it cannot run commands any more.
// Both mean: close it and start a new one.
var (
	// ErrShellClosed: the shell was closed, by Close or because a command
	// timed out or was cancelled and could not be interrupted.
	ErrShellClosed = errors.New("persistent shell is closed; start a new one")
	// ErrShellExited: a command ended the shell itself (exit, exec).
	ErrShellExited = errors.New("persistent shell exited; start a new one")
)

// InterruptGrace is how long a shell waits, after interrupting a command
// that ran out of time, for the command to end before it gives the shell up.
const InterruptGrace = 3 * time.Second

// PipeShellConfig describes a process running a POSIX sh that reads
// commands from Stdin and writes its output to Stdout.
type PipeShellConfig struct {
	Stdin  io.WriteCloser
	Stdout io.Reader
	// Close ends the shell process and releases what it holds. It is
	// called once, by Shell.Close or when the shell is given up.
	Close func() error
	// Interrupt, if set, kills whatever the shell is running in the
	// foreground (the command's process tree, not the shell), so a
	// command that times out or is cancelled leaves the shell usable.
	// Without it such a command closes the shell (ErrShellClosed).
	Interrupt func() error
}

// NewPipeShell drives the sh at the other end of stdin and stdout (stderr
// merged into stdout, or left to the shell: the first thing it is told is
// `exec 2>&1`) as a persistent Shell; closeFn ends the process. A command
// that times out or is cancelled closes the shell; backends that can kill
// the foreground job use NewPipeShellConfig with an Interrupt.
func NewPipeShell(stdin io.WriteCloser, stdout io.Reader, closeFn func() error) Shell {
	return NewPipeShellConfig(PipeShellConfig{Stdin: stdin, Stdout: stdout, Close: closeFn})
}

// NewPipeShellConfig is NewPipeShell with an optional Interrupt.
//
// Each Run writes the command, wrapped as `command eval '<text>'` so a
// syntax error fails the command and not the shell, with stdin from
// /dev/null (or a private temp file holding Spec.Stdin), followed by a
// line that prints a fresh random sentinel with the exit status and the
// working directory. Output up to the sentinel is the command's. An EXIT
// trap prints a second sentinel, so a command that runs `exit 3` reports
// status 3; the shell is gone after that and later Runs fail with
// ErrShellExited.
func NewPipeShellConfig(c PipeShellConfig) Shell {
	s := &pipeShell{cfg: c, chunks: make(chan []byte, 16), exitTok: randomToken()}
	go s.readLoop()
	// The shell's own stderr (syntax errors, "not found") joins stdout,
	// and its end is reported whatever ended it.
	pre := "exec 2>&1\n" +
		"trap " + ShellQuote(sentinelPrintf(s.exitTok)) + " EXIT\n"
	if _, err := io.WriteString(c.Stdin, pre); err != nil {
		s.dead = fmt.Errorf("%w: start: %v", ErrShellClosed, err)
		s.shutdown()
	}
	return s
}

// Compile-time check.
var _ Shell = (*pipeShell)(nil)

type pipeShell struct {
	cfg     PipeShellConfig
	chunks  chan []byte // output of the shell; closed at EOF
	exitTok string      // sentinel of the EXIT trap

	mu        sync.Mutex // one Run at a time
	dead      error      // why the shell cannot run commands, or nil
	closeOnce sync.Once
	closeErr  error
}

func (s *pipeShell) readLoop() {
	defer close(s.chunks)
	for {
		buf := make([]byte, 32<<10)
		n, err := s.cfg.Stdout.Read(buf)
		if n > 0 {
			s.chunks <- buf[:n]
		}
		if err != nil {
			return
		}
	}
}

// Close ends the shell. Closing twice is harmless.
func (s *pipeShell) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead == nil {
		s.dead = ErrShellClosed
	}
	return s.shutdown()
}

func (s *pipeShell) shutdown() error {
	s.closeOnce.Do(func() {
		_ = s.cfg.Stdin.Close()
		if s.cfg.Close != nil {
			s.closeErr = s.cfg.Close()
		}
		// Let readLoop reach EOF and exit.
		go func() {
			for range s.chunks {
			}
		}()
	})
	return s.closeErr
}

// Run runs one command in the shell. A command that times out or whose ctx
// ends is interrupted: its Result has ExitCode -1 (and TimedOut for a
// timeout) and, for a cancelled ctx, the error is ctx.Err(). When the
// command cannot be interrupted the shell is closed and the Result comes
// with an error wrapping ErrShellClosed.
func (s *pipeShell) Run(ctx context.Context, spec Spec) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead != nil {
		return nil, s.dead
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	spec = spec.Normalize()
	tok := randomToken()
	script, err := shellScript(spec, tok)
	if err != nil {
		return nil, err
	}
	s.drain()
	start := time.Now()
	if _, err := io.WriteString(s.cfg.Stdin, script); err != nil {
		s.dead = fmt.Errorf("%w: write command: %v", ErrShellClosed, err)
		_ = s.shutdown()
		return nil, s.dead
	}
	r := &run{s: s, tok: tok, out: NewCapture(spec.MaxOutput)}
	res, err := r.wait(ctx, spec.Timeout)
	res.Duration = time.Since(start)
	res.Output, res.Truncated = r.out.String()
	return res, err
}

// drain drops output that arrived between commands (from jobs a previous
// command left in the background).
func (s *pipeShell) drain() {
	for {
		select {
		case _, ok := <-s.chunks:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// run is the reading side of one Run.
type run struct {
	s    *pipeShell
	tok  string
	out  *Capture
	pend []byte // output not yet known to be free of a sentinel
}

func (r *run) wait(ctx context.Context, timeout time.Duration) (*Result, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var grace <-chan time.Time
	var timedOut bool
	var ctxErr error
	ctxDone := ctx.Done()
	for {
		select {
		case b, ok := <-r.s.chunks:
			if !ok {
				return r.eof()
			}
			r.pend = append(r.pend, b...)
			if res, done := r.scan(); done {
				if timedOut || ctxErr != nil {
					res.ExitCode = -1
				}
				res.TimedOut = timedOut
				return res, ctxErr
			}
		case <-timer.C:
			timedOut = true
			grace = r.interrupt()
		case <-ctxDone:
			ctxDone = nil
			ctxErr = ctx.Err()
			grace = r.interrupt()
		case <-grace:
			r.s.dead = fmt.Errorf("%w: a command could not be interrupted", ErrShellClosed)
			_ = r.s.shutdown()
			r.flush()
			res := &Result{ExitCode: -1, TimedOut: timedOut}
			if ctxErr != nil {
				return res, fmt.Errorf("%w (%w)", ctxErr, r.s.dead)
			}
			return res, r.s.dead
		}
	}
}

// interrupt kills the foreground command, or gives the shell no time at
// all when it cannot.
func (r *run) interrupt() <-chan time.Time {
	if r.s.cfg.Interrupt == nil || r.s.cfg.Interrupt() != nil {
		return time.After(0)
	}
	return time.After(InterruptGrace)
}

// eof handles the shell's end: a command ran exit (the EXIT trap's
// sentinel carries its status) or the shell died.
func (r *run) eof() (*Result, error) {
	idx, st, _, ok := findSentinel(r.pend, r.s.exitTok, false)
	_ = r.s.shutdown()
	if !ok {
		r.flush()
		r.s.dead = fmt.Errorf("%w: the shell ended unexpectedly", ErrShellClosed)
		return &Result{ExitCode: -1}, r.s.dead
	}
	_, _ = r.out.Write(r.pend[:idx])
	r.pend = nil
	r.s.dead = fmt.Errorf("%w (status %d)", ErrShellExited, st)
	return &Result{ExitCode: st}, nil
}

// scan moves output that cannot be part of a sentinel into the capture and
// reports the result once the run's sentinel has arrived.
func (r *run) scan() (*Result, bool) {
	if idx, st, _, ok := findSentinel(r.pend, r.tok, true); ok {
		_, _ = r.out.Write(r.pend[:idx])
		r.pend = nil
		return &Result{ExitCode: st}, true
	}
	s := string(r.pend)
	keep := len(s) // where the bytes that must wait start
	for _, t := range []string{r.tok, r.s.exitTok} {
		if i := strings.Index(s, "\n"+t+" "); i >= 0 && i < keep {
			keep = i
		}
	}
	// A sentinel may have begun in the last bytes: from a newline on.
	if i := strings.LastIndexByte(s, '\n'); keep == len(s) && i >= 0 && len(s)-i < len(r.tok)+2 {
		keep = i
	}
	_, _ = r.out.Write(r.pend[:keep])
	r.pend = append(r.pend[:0], r.pend[keep:]...)
	return nil, false
}

func (r *run) flush() {
	_, _ = r.out.Write(r.pend)
	r.pend = nil
}

// findSentinel looks in b for "\n<tok> <status>[ <cwd>]<tok>\n" and returns
// where it starts, the status and the cwd.
func findSentinel(b []byte, tok string, withDir bool) (idx, status int, dir string, ok bool) {
	s := string(b)
	open := "\n" + tok + " "
	idx = strings.Index(s, open)
	if idx < 0 {
		return 0, 0, "", false
	}
	rest := s[idx+len(open):]
	end := strings.Index(rest, tok+"\n")
	if end < 0 {
		return 0, 0, "", false
	}
	body := rest[:end]
	num := body
	if withDir {
		num, dir, _ = strings.Cut(body, " ")
	}
	status, err := strconv.Atoi(num)
	if err != nil {
		status = -1
	}
	return idx, status, dir, true
}

// shellScript is what one Run writes to the shell.
func shellScript(spec Spec, tok string) (string, error) {
	var b strings.Builder
	b.WriteString("__hermes_rc=0\n")
	if spec.Dir != "" {
		fmt.Fprintf(&b, "cd -- %s || __hermes_rc=$?\n", ShellQuote(spec.Dir))
	}
	if err := writeExports(&b, spec.Env); err != nil {
		return "", err
	}
	in := "/dev/null"
	if spec.Stdin != nil {
		data, err := io.ReadAll(spec.Stdin)
		if err != nil {
			return "", fmt.Errorf("read stdin for the shell: %w", err)
		}
		in = `"$__hermes_in"`
		fmt.Fprintf(&b, "__hermes_in=\"${TMPDIR:-/tmp}/.hermes-stdin-%s\"\n", tok)
		b.WriteString(`(umask 077 && : > "$__hermes_in") || __hermes_rc=$?` + "\n")
		writePrintfData(&b, data, `"$__hermes_in"`)
	}
	fmt.Fprintf(&b, "if [ \"$__hermes_rc\" = 0 ]; then { command eval %s\n} <%s; __hermes_rc=$?; fi\n",
		ShellQuote(spec.Command), in)
	if spec.Stdin != nil {
		b.WriteString(`rm -f -- "$__hermes_in"` + "\n")
	}
	b.WriteString(sentinelPrintfRC(tok) + "\n")
	return b.String(), nil
}

func writeExports(b *strings.Builder, env map[string]string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		if !config.IsEnvName(k) {
			return fmt.Errorf("environment variable name %q is not a valid shell name (letters, digits, _; not starting with a digit)", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "export %s=%s\n", k, ShellQuote(env[k]))
	}
	return nil
}

// writePrintfData appends printf lines that write data, byte for byte, to
// the file target (already quoted).
func writePrintfData(b *strings.Builder, data []byte, target string) {
	const line = 8 << 10
	for len(data) > 0 {
		n := min(line, len(data))
		b.WriteString("printf '")
		for _, c := range data[:n] {
			if isPlainByte(c) {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(b, `\%03o`, c)
			}
		}
		b.WriteString("' >> " + target + "\n")
		data = data[n:]
	}
}

func isPlainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == ' ' || c == ',' || c == '.' || c == '_' || c == '/' || c == '-' || c == ':'
}

// sentinelPrintf is the printf that reports the shell's status ($?). The
// token is split in two printf arguments so that `set -x` or `set -v`
// echoing the script never shows it whole.
func sentinelPrintf(tok string) string {
	a, z := tok[:len(tok)/2], tok[len(tok)/2:]
	return fmt.Sprintf(`printf '\n%%s%%s %%d%%s%%s\n' '%s' '%s' "$?" '%s' '%s'`, a, z, a, z)
}

// sentinelPrintfRC reports a Run's status and the working directory.
func sentinelPrintfRC(tok string) string {
	a, z := tok[:len(tok)/2], tok[len(tok)/2:]
	return fmt.Sprintf(`printf '\n%%s%%s %%d %%s%%s%%s\n' '%s' '%s' "$__hermes_rc" "$PWD" '%s' '%s'`, a, z, a, z)
}

func randomToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "__hermes_" + hex.EncodeToString(b[:]) + "__"
}

// ShellQuote quotes s for a POSIX shell: it comes back as one word with
// no expansion, inside single quotes (a ' becomes '\”).
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
