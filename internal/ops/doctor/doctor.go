// Package doctor owns `hermes doctor`: the health checks of a home, each a
// Check run in parallel under its own deadline, the report they make
// (rows with ✓ ⚠ ✗, a numbered list of what to fix, a JSON shape that
// scripts such as `hermes update` parse), and the safe repairs of --fix.
//
// The checks reuse the packages that own what they check (config, cron,
// store, skills, memory, sandbox, mcp, llm); they never reimplement them.
// Offline, nothing is written, no database is created and no process is
// started; --live adds one request per provider and starts MCP servers.
package doctor

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hermes-go/hermes/internal/redact"
)

// Status is how a check ended.
type Status string

// The statuses, from best to worst.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Symbol is the row marker of a status.
func (s Status) Symbol() string {
	switch s {
	case OK:
		return "✓"
	case Warn:
		return "⚠"
	}
	return "✗"
}

// Result is one row of the report: what was found and, unless it is ok,
// the one thing to do about it.
type Result struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Check is one health check. Run returns at least one row; a check that
// looks at several things (cron jobs, platforms) returns a row for each.
// Run must stop when ctx is done.
type Check interface {
	Name() string
	Run(ctx context.Context) []Result
}

// Deadliner is a Check that needs more time than the default deadline (a
// live request to a provider).
type Deadliner interface {
	Deadline() time.Duration
}

// DefaultDeadline is the time one offline check may take.
const DefaultDeadline = 5 * time.Second

// Report is the outcome of a run: its shape is what `hermes doctor
// --json` prints, and scripts rely on it.
type Report struct {
	OK       bool     `json:"ok"`
	Checks   []Result `json:"checks"`
	Failures int      `json:"failures"`
	Warnings int      `json:"warnings"`
}

// Issues lists the rows that are not ok, failures first, in check order.
func (r Report) Issues() []Result {
	var out []Result
	for _, want := range []Status{Fail, Warn} {
		for _, c := range r.Checks {
			if c.Status == want {
				out = append(out, c)
			}
		}
	}
	return out
}

// Func adapts a function to Check.
type Func struct {
	CheckName string
	Fn        func(ctx context.Context) []Result
	Timeout   time.Duration // 0: DefaultDeadline
}

// Name implements Check.
func (f Func) Name() string { return f.CheckName }

// Run implements Check.
func (f Func) Run(ctx context.Context) []Result { return f.Fn(ctx) }

// Deadline implements Deadliner.
func (f Func) Deadline() time.Duration { return f.Timeout }

// Run runs every check at once, each under its own deadline, and returns
// the rows in the order of checks. A check that overruns its deadline is
// a ⚠ "timed out" row; Run never waits for it longer than that. A check
// that panics is a ✗ row naming the panic. Every text is redacted.
func Run(ctx context.Context, checks []Check) Report {
	rows := make([][]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i] = runOne(ctx, c)
		}()
	}
	wg.Wait()
	rep := Report{Checks: []Result{}}
	red := redact.Default()
	for _, rs := range rows {
		for _, r := range rs {
			r.Message, r.Fix = red.String(oneLine(r.Message)), red.String(oneLine(r.Fix))
			if r.Status == OK {
				r.Fix = ""
			}
			rep.Checks = append(rep.Checks, r)
			switch r.Status {
			case Fail:
				rep.Failures++
			case Warn:
				rep.Warnings++
			}
		}
	}
	rep.OK = rep.Failures == 0
	return rep
}

func runOne(ctx context.Context, c Check) []Result {
	d := DefaultDeadline
	if dl, ok := c.(Deadliner); ok && dl.Deadline() > 0 {
		d = dl.Deadline()
	}
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	done := make(chan []Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- []Result{{Name: c.Name(), Status: Fail, Message: fmt.Sprintf("the check crashed: %v", p), Fix: "report this as a bug in hermes"}}
			}
		}()
		done <- c.Run(cctx)
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case rs := <-done:
		if len(rs) == 0 {
			rs = []Result{{Name: c.Name(), Status: OK, Message: "ok"}}
		}
		for i := range rs {
			if rs[i].Name == "" {
				rs[i].Name = c.Name()
			}
		}
		return rs
	case <-timer.C:
		return []Result{{Name: c.Name(), Status: Warn, Message: fmt.Sprintf("timed out after %s", d),
			Fix: "run `hermes doctor` again; if it keeps timing out, check what " + c.Name() + " depends on"}}
	}
}

// oneLine keeps the first line of s: a row is one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " ..."
	}
	return s
}

// Render prints the rows, then the numbered issues or "All checks
// passed".
func Render(w io.Writer, rep Report) {
	width := 0
	for _, c := range rep.Checks {
		width = max(width, len(c.Name))
	}
	width = min(width, 40)
	for _, c := range rep.Checks {
		fmt.Fprintf(w, "%s %-*s  %s\n", c.Status.Symbol(), width, c.Name, c.Message)
	}
	issues := rep.Issues()
	fmt.Fprintln(w)
	if len(issues) == 0 {
		fmt.Fprintln(w, "All checks passed")
		return
	}
	fmt.Fprintf(w, "%d issue(s) to address:\n", len(issues))
	for i, c := range issues {
		fmt.Fprintf(w, "%2d. %s %s: %s\n", i+1, c.Status.Symbol(), c.Name, c.Message)
		if c.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", c.Fix)
		}
	}
}
