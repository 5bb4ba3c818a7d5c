package guard

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkExplainSafe is the common case: a harmless command, checked
// against a few deny globs and a long allowlist.
func BenchmarkExplainSafe(b *testing.B) {
	benchExplain(b, "go test ./internal/... -run TestX -count=1")
}

// BenchmarkExplainDangerous reaches the last stage (ask).
func BenchmarkExplainDangerous(b *testing.B) { benchExplain(b, cmdDangerous) }

func benchExplain(b *testing.B, command string) {
	p := Policy{Deny: []string{"curl * | sh", "* > /dev/sd*", "wget *"}}
	for i := range 100 {
		p.Allowlist = append(p.Allowlist, fmt.Sprintf("make target-%d *", i))
	}
	s := NewSession("bench")
	for b.Loop() {
		Explain(command, p, s, Context{Cwd: "/work"})
	}
}

// BenchmarkCheckGrant is a repeat of a command granted for the session.
func BenchmarkCheckGrant(b *testing.B) {
	g := &Guard{Human: answer(ChoiceSession)}
	s := NewSession("bench")
	ctx := context.Background()
	if _, err := g.Check(ctx, s, cmdDangerous, Context{Cwd: "/p"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if out, _ := g.Check(ctx, s, cmdDangerous, Context{Cwd: "/p"}); out.Decision != Allow {
			b.Fatal(out.Reason)
		}
	}
}

func BenchmarkMatchGlob(b *testing.B) {
	for b.Loop() {
		_, _ = matchGlob("*git push --force*origin*", "cd repo && git push --force origin main && echo done")
	}
}
