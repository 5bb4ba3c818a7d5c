package backup

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hermes-go/hermes/internal/home"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	h := &home.Home{Root: t.TempDir()}
	h.Dir = h.Root
	if _, err := ReadRecord(h); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("empty home: got %v, want ErrNoRecord", err)
	}
	want := Record{Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Path: "/x/hermes-backup.zip", Size: 42, Files: 7, SHA256: "ab"}
	if err := WriteRecord(h, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecord(h)
	if err != nil || !got.Time.Equal(want.Time) || got.Path != want.Path || got.Size != 42 || got.Files != 7 || got.SHA256 != "ab" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if err := os.WriteFile(h.Path(RecordFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecord(h); err == nil || errors.Is(err, ErrNoRecord) {
		t.Fatalf("corrupt record: got %v", err)
	}
}
