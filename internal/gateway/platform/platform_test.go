package platform

import (
	"context"
	"testing"
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
