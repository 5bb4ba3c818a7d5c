// Package backup owns `hermes backup` and `hermes import`: zips of a
// home (databases copied with SQLite's online backup), their restore with
// overlay semantics, and the record of the last successful backup that
// the doctor and `hermes status` read.
package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

// RecordFile is the record of the last successful backup, in the home
// (profile) directory. It is transient: backups never include it.
const RecordFile = "last_backup.json"

// Record describes the last successful backup of a home.
type Record struct {
	Time   time.Time `json:"time"`
	Path   string    `json:"path"`
	Size   int64     `json:"size"`
	Files  int       `json:"files"`
	SHA256 string    `json:"sha256"`
}

// ErrNoRecord is returned by ReadRecord when no backup was ever recorded.
var ErrNoRecord = errors.New("no backup recorded")

// ReadRecord returns the record of h's last successful backup, or
// ErrNoRecord.
func ReadRecord(h *home.Home) (Record, error) {
	var r Record
	path := h.Path(RecordFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, ErrNoRecord
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("%s: %w (delete it; the next backup rewrites it)", path, err)
	}
	return r, nil
}

// WriteRecord atomically replaces h's last-backup record.
func WriteRecord(h *home.Home, r Record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteFile(h.Path(RecordFile), append(data, '\n'), 0o600)
}
