package platform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type nopAdapter struct{}

func (nopAdapter) Name() string                                 { return "nop" }
func (nopAdapter) Run(context.Context, Handler) error           { return nil }
func (nopAdapter) Send(context.Context, Outbound) (Sent, error) { return Sent{ID: "1"}, nil }
func (nopAdapter) MaxLen() int                                  { return 4096 }

var _ Adapter = nopAdapter{}

func TestRegistry(t *testing.T) {
	RegisterAdapter("test-nop", func(Deps) (Adapter, error) { return nopAdapter{}, nil })
	if _, ok := Adapters()["test-nop"]; !ok {
		t.Fatal("registered adapter missing")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a second registration under one name did not panic")
		}
	}()
	RegisterAdapter("test-nop", func(Deps) (Adapter, error) { return nopAdapter{}, nil })
}

func TestMessageKey(t *testing.T) {
	m := Message{Platform: "telegram", ChatID: "42", ID: "7"}
	if got := m.Key(); got != "telegram:42:7" {
		t.Fatalf("key %q", got)
	}
}

type linkHandler struct {
	Handler
	events []string
}

func (h *linkHandler) Connected(name string, up bool, err error) {
	h.events = append(h.events, fmt.Sprintf("%s %v %v", name, up, err))
}

// TestLink: Up reports a change only, Down always, Reset reports afresh.
func TestLink(t *testing.T) {
	t.Parallel()
	var l Link
	h := &linkHandler{}
	boom := errors.New("boom")
	l.Up(h, "x")
	l.Up(h, "x")
	l.Down(h, "x", boom)
	l.Down(h, "x", boom)
	l.Up(h, "x")
	l.Reset()
	l.Up(h, "x")
	want := []string{"x true <nil>", "x false boom", "x false boom", "x true <nil>", "x true <nil>"}
	if strings.Join(h.events, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q, want %q", h.events, want)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for n := 0; n <= 8; n++ {
		got = append(got, RetryBackoff.After(n))
	}
	s := time.Second
	want := []time.Duration{s, s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, time.Minute, time.Minute}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
