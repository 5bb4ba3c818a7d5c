package fileutil

import (
	"path/filepath"
	"testing"
)

func BenchmarkWriteFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "config.yaml")
	data := make([]byte, 4<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := WriteFile(path, data, PrivateFile); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLockUnlock(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.lock")
	for b.Loop() {
		l, err := LockFile(b.Context(), path, LockOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(); err != nil {
			b.Fatal(err)
		}
	}
}
