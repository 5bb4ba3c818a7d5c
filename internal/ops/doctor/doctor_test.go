package doctor

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

type slow struct{ d time.Duration }

func (s slow) Name() string { return "slow" }
func (s slow) Run(ctx context.Context) []Result {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		// a check that ignores its context must not hang the run either
		time.Sleep(s.d)
	}
	return []Result{{Status: OK, Message: "finally"}}
}

func TestRunDeadlinesPanicsAndOrder(t *testing.T) {
	t.Parallel()
	checks := []Check{
		Func{CheckName: "first", Fn: func(context.Context) []Result {
			return []Result{{Status: Fail, Message: "bad\nsecond line", Fix: "do x"}}
		}},
		Func{CheckName: "hang", Timeout: 50 * time.Millisecond, Fn: func(ctx context.Context) []Result { time.Sleep(10 * time.Second); return nil }},
		Func{CheckName: "boom", Fn: func(context.Context) []Result { panic("kaput") }},
		Func{CheckName: "empty", Fn: func(context.Context) []Result { return nil }},
		Func{CheckName: "key", Fn: func(context.Context) []Result {
			return []Result{{Status: Warn, Message: "saw OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", Fix: "x"}}
		}},
	}
	start := time.Now()
	rep := Run(context.Background(), checks)
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("Run waited %s for a hung check", el)
	}
	if len(rep.Checks) != 5 || rep.Failures != 2 || rep.Warnings != 2 || rep.OK {
		t.Fatalf("%+v", rep)
	}
	want := []struct {
		name string
		st   Status
		msg  string
	}{{"first", Fail, "bad ..."}, {"hang", Warn, "timed out after 50ms"}, {"boom", Fail, "the check crashed: kaput"}, {"empty", OK, "ok"}}
	for i, w := range want {
		c := rep.Checks[i]
		if c.Name != w.name || c.Status != w.st || c.Message != w.msg {
			t.Errorf("row %d = %+v, want %+v", i, c, w)
		}
	}
	if strings.Contains(rep.Checks[4].Message, "abcdefghijklmnop") {
		t.Errorf("a secret reached the report: %q", rep.Checks[4].Message)
	}
}

func TestRunIsParallel(t *testing.T) {
	t.Parallel()
	var checks []Check
	for range 20 {
		checks = append(checks, slow{100 * time.Millisecond})
	}
	start := time.Now()
	Run(context.Background(), checks)
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Fatalf("20 checks of 100ms took %s: not parallel", el)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	Render(&b, Report{OK: true, Checks: []Result{{Name: "a", Status: OK, Message: "fine"}}})
	if !strings.Contains(b.String(), "✓ a  fine") || !strings.HasSuffix(b.String(), "All checks passed\n") {
		t.Fatalf("%q", b.String())
	}
	b.Reset()
	rep := Report{Checks: []Result{{Name: "a", Status: Warn, Message: "meh", Fix: "tune"}, {Name: "bb", Status: Fail, Message: "broken", Fix: "repair"}}, Failures: 1, Warnings: 1}
	Render(&b, rep)
	out := b.String()
	for _, want := range []string{"⚠ a   meh", "✗ bb  broken", "2 issue(s) to address:", " 1. ✗ bb: broken\n    fix: repair", " 2. ⚠ a: meh\n    fix: tune"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
