package memory

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// Archived is one line of ARCHIVE.jsonl: an entry moved out of a memory
// file to keep it under its limit.
type Archived struct {
	File       string    `json:"file"`
	Entry      string    `json:"entry"`
	ArchivedAt time.Time `json:"archived_at"`
}

// archive appends entries to ARCHIVE.jsonl and fsyncs it. The caller
// holds the lock.
func (s *Store) archive(t Target, entries []string) error {
	if len(entries) == 0 {
		return nil
	}
	path := filepath.Join(s.dir, ArchiveFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileutil.PrivateFile)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	now := s.now().UTC().Truncate(time.Second)
	for _, e := range entries {
		if err := enc.Encode(Archived{File: t.File(), Entry: e, ArchivedAt: now}); err != nil {
			f.Close()
			return fmt.Errorf("archive: %w", err)
		}
	}
	err = errors.Join(w.Flush(), f.Sync(), f.Close())
	if err != nil {
		return fmt.Errorf("archive %s: %w", path, err)
	}
	return nil
}

// ArchiveTail returns the last n archived entries, oldest first. Lines
// that are not valid records (a torn write) are skipped.
func (s *Store) ArchiveTail(n int) ([]Archived, error) {
	f, err := os.Open(filepath.Join(s.dir, ArchiveFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	defer f.Close()
	var out []Archived
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var a Archived
		if json.Unmarshal(sc.Bytes(), &a) != nil || a.Entry == "" {
			continue
		}
		out = append(out, a)
		if n > 0 && len(out) > n {
			out = out[1:]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	return out, nil
}
