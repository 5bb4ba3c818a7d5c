package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
)

// BenchmarkAdd measures one add to a full MEMORY.md: lock, read, scan,
// archive the oldest entry, atomic write.
func BenchmarkAdd(b *testing.B) {
	s := Open(b.TempDir(), config.Memory{})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Add(ctx, Memory, fmt.Sprintf("the project builds with make in under %d seconds", i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	s := Open(b.TempDir(), config.Memory{})
	ctx := context.Background()
	for i := range 40 {
		if _, err := s.Add(ctx, Memory, fmt.Sprintf("fact %d about the project layout", i)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := s.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
}
