package backup

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/home"
)

// Item is one file a backup includes.
type Item struct {
	Rel  string // slash-separated path inside the archive and the home
	Abs  string // where it is on disk
	Size int64  // at scan time
	DB   bool   // an SQLite database: copied with the online backup API
	Mode fs.FileMode
}

// Skip is a path a backup leaves out, and why.
type Skip struct {
	Rel string `json:"path"`
	Why string `json:"why"`
}

// Plan is what a backup of a home root includes and leaves out.
type Plan struct {
	Root    string
	Items   []Item
	Skipped []Skip
	Total   int64 // bytes of Items at scan time
}

// Why a path is left out.
const (
	whyTransient = "transient"
	whyLog       = "logs"
	whyCache     = "cache"
	whySandbox   = "sandboxes"
	whyCheckout  = "code checkout"
	whyQuick     = "--quick"
	whyLink      = "symbolic link to a directory or a special file"
	whySpecial   = "not a regular file"
	whyBackup    = "a backup"
)

var (
	// backupName matches the zips `hermes backup` names (and --keep prunes).
	backupName = regexp.MustCompile(`^hermes-backup-\d{4}-\d{2}-\d{2}-\d{6}(-\d{1,3})?\.zip$`)
	// tempName matches internal/fileutil's atomic-write temp files.
	tempName = regexp.MustCompile(`^\..+\.tmp-[0-9a-f]{16}$`)
)

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// Scan walks root (the hermes root: the default profile and, under
// profiles/, every other) and returns what a backup includes. skip, when
// not empty, is a path never included (the backup being written).
func Scan(root string, quick bool, skip string) (*Plan, error) {
	root, err := resolveRoot(root)
	if err != nil {
		return nil, err
	}
	if skip != "" {
		if dir, err := resolveRoot(filepath.Dir(skip)); err == nil {
			skip = filepath.Join(dir, filepath.Base(skip))
		}
	}
	p := &Plan{Root: root}
	err = filepath.WalkDir(root, func(abs string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("scan %s: %w", abs, err)
		}
		if abs == root {
			return nil
		}
		rel := filepath.ToSlash(mustRel(root, abs))
		if abs == skip {
			return nil
		}
		if why := excluded(rel, d.IsDir(), quick); why != "" {
			p.Skipped = append(p.Skipped, Skip{Rel: displayRel(rel, d.IsDir()), Why: why})
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if isCheckout(abs, rel) {
				p.Skipped = append(p.Skipped, Skip{Rel: rel + "/", Why: whyCheckout})
				return filepath.SkipDir
			}
			return nil
		}
		return p.add(abs, rel, d)
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(p.Items, func(i, j int) bool { return p.Items[i].Rel < p.Items[j].Rel })
	return p, nil
}

// add records one non-directory entry: a regular file, or a symlink to
// one (its content is backed up). Anything else is skipped.
func (p *Plan) add(abs, rel string, d fs.DirEntry) error {
	fi, err := os.Stat(abs) // follows a link
	if errors.Is(err, fs.ErrNotExist) {
		if d.Type()&fs.ModeSymlink != 0 {
			p.Skipped = append(p.Skipped, Skip{Rel: rel, Why: "dangling symbolic link"})
		}
		return nil // removed while scanning
	}
	if err != nil {
		return fmt.Errorf("scan %s: %w", abs, err)
	}
	if !fi.Mode().IsRegular() {
		why := whySpecial
		if d.Type()&fs.ModeSymlink != 0 {
			why = whyLink
		}
		p.Skipped = append(p.Skipped, Skip{Rel: rel, Why: why})
		return nil
	}
	if strings.HasSuffix(rel, ".zip") && isBackupZip(abs) {
		p.Skipped = append(p.Skipped, Skip{Rel: rel, Why: whyBackup})
		return nil
	}
	db, err := isSQLite(abs)
	if err != nil {
		return fmt.Errorf("scan %s: %w", abs, err)
	}
	p.Items = append(p.Items, Item{Rel: rel, Abs: abs, Size: fi.Size(), DB: db, Mode: fi.Mode().Perm()})
	p.Total += fi.Size()
	return nil
}

// resolveRoot makes root absolute and follows links, so a home that is a
// symbolic link (~/.hermes -> /data/hermes) is walked. A missing root is
// returned as it is.
func resolveRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return abs, nil
	}
	return real, err
}

func mustRel(root, abs string) string {
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return abs
	}
	return rel
}

func displayRel(rel string, dir bool) string {
	if dir {
		return rel + "/"
	}
	return rel
}

// homeRel splits rel into the profile it belongs to ("" for the root)
// and its path inside that profile's home.
func homeRel(rel string) (profile, inner string) {
	rest, ok := strings.CutPrefix(rel, home.ProfilesDir+"/")
	if !ok {
		return "", rel
	}
	name, inner, _ := strings.Cut(rest, "/")
	return name, inner
}

// excluded returns why rel is left out of a backup, or "".
func excluded(rel string, dir, quick bool) string {
	base := path.Base(rel)
	_, inner := homeRel(rel)
	if base == ".git" {
		return whyCheckout
	}
	if dir {
		switch inner {
		case home.LogsDir:
			return whyLog
		case home.CacheDir:
			return whyCache
		case home.SandboxesDir:
			return whySandbox
		}
		if strings.HasPrefix(base, tmpDirPrefix) || strings.HasPrefix(base, importTmpPrefix) {
			return whyTransient
		}
		if quick && quickSkip(inner) {
			return whyQuick
		}
		return ""
	}
	return transientFile(inner, base)
}

// quickSkip: what --quick leaves out: cron run output (the runs' records
// stay in state.db) and the API server's response store (responses kept
// for previous_response_id, which expire after 30 days anyway).
func quickSkip(inner string) bool {
	return inner == home.CronDir+"/output" || inner == "platforms/api_server"
}

// transientFile returns why a file (inner: its path inside its profile's
// home; base: its name) is never backed up nor restored, or "".
func transientFile(inner, base string) string {
	ext := path.Ext(base)
	switch {
	case ext == ".pid" || ext == ".lock":
		return whyTransient
	case strings.HasSuffix(base, "-wal") || strings.HasSuffix(base, "-shm") || strings.HasSuffix(base, "-journal"):
		return whyTransient // a database's live journal: the online copy includes its content
	case ext == ".partial" || tempName.MatchString(base):
		return whyTransient
	case backupName.MatchString(base):
		return whyBackup
	}
	switch inner {
	case RecordFile, "gateway.json", home.CronDir + "/heartbeat.json":
		return whyTransient
	}
	return ""
}

// isCheckout reports whether dir (a top-level folder of a home that is
// not one hermes owns) is a code checkout: it holds a .git entry.
func isCheckout(abs, rel string) bool {
	_, inner := homeRel(rel)
	if strings.Contains(inner, "/") || inner == "" {
		return false
	}
	switch inner {
	case home.MemoriesDir, home.SkillsDir, home.CronDir, "platforms", home.ProfilesDir:
		return false
	}
	_, err := os.Lstat(filepath.Join(abs, ".git"))
	return err == nil
}

// isBackupZip reports whether the zip at path was written by a backup.
func isBackupZip(path string) bool {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer zr.Close()
	return zr.Comment == archiveComment
}

// isSQLite reports whether the file at path starts with SQLite's header.
func isSQLite(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var head [16]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	return n == len(head) && bytes.Equal(head[:], sqliteMagic), nil
}
