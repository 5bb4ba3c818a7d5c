package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

// Action is what an import does with one archive entry.
type Action string

// The actions of an import.
const (
	ActNew       Action = "new"
	ActOverwrite Action = "overwrite"
	ActUnchanged Action = "unchanged"
	ActSkip      Action = "skip"
)

// Change is one file of an import and what happens to it.
type Change struct {
	Name    string `json:"path"`
	Action  Action `json:"action"`
	Why     string `json:"why,omitempty"` // for skips
	DB      bool   `json:"database,omitempty"`
	Size    uint64 `json:"size"`
	Confirm bool   `json:"confirm,omitempty"` // config.yaml or .env that differ: ask first
	entry   Entry
}

// Import is a validated archive and its planned changes to a root.
// Nothing has been written to the root until Apply.
type Import struct {
	Root    string
	Changes []Change
	dirs    []string // folder entries, created when missing
	zr      *zip.ReadCloser
}

// ImportResult sums up an applied import.
type ImportResult struct {
	Written, Unchanged, Skipped int
	Warnings                    []string
}

// GatewayRunningError refuses to restore a database a running gateway
// holds open.
type GatewayRunningError struct {
	Dir     string
	Profile string
	PID     int
}

func (e *GatewayRunningError) Error() string {
	who, cmd := "", "hermes gateway stop"
	if e.PID > 0 {
		who = fmt.Sprintf(" (pid %d)", e.PID)
	}
	if e.Profile != "" {
		cmd = "hermes -p " + e.Profile + " gateway stop"
	}
	return fmt.Sprintf("a gateway is running for %s%s and holds its databases open: stop the gateway first: %s; nothing was written", e.Dir, who, cmd)
}

// OpenImport validates the archive at zipPath against lim (the zero value
// is DefaultLimits) and root, and plans the changes. It writes nothing:
// every refusal (a bad entry, a link in the home where a file would go, a
// corrupt entry, too little disk space) happens here.
func OpenImport(zipPath, root string, lim Limits) (im *Import, err error) {
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	if root, err = resolveRoot(root); err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w (is it a hermes backup zip?)", zipPath, err)
	}
	defer func() {
		if err != nil {
			zr.Close()
		}
	}()
	entries, err := Validate(zr.File, lim)
	if err != nil {
		return nil, err
	}
	im = &Import{Root: root, zr: zr}
	for _, e := range entries {
		if err := im.plan(e); err != nil {
			return nil, err
		}
	}
	if err := im.checkSpace(); err != nil {
		return nil, err
	}
	return im, nil
}

// Close releases the archive.
func (im *Import) Close() error { return im.zr.Close() }

// plan decides what happens to one entry.
func (im *Import) plan(e Entry) error {
	if e.Dir {
		if _, err := checkHomePath(im.Root, e.Name, true); err != nil {
			return err
		}
		im.dirs = append(im.dirs, e.Name)
		return nil
	}
	c := Change{Name: e.Name, Size: e.File.UncompressedSize64, entry: e}
	if e.Skip != "" {
		c.Action, c.Why = ActSkip, "never restored: "+e.Skip
		im.Changes = append(im.Changes, c)
		return nil
	}
	fi, err := checkHomePath(im.Root, e.Name, false)
	if err != nil {
		return err
	}
	sum, head, err := hashEntry(e.File)
	if err != nil {
		return refuse(e.File.Name, "corrupt entry: %v", err)
	}
	c.DB = bytes.HasPrefix(head, sqliteMagic)
	if fi != nil && fi.Size() > 0 {
		db, _ := isSQLite(filepath.Join(im.Root, e.Name))
		switch {
		case db && !c.DB:
			return refuse(e.File.Name, "not an SQLite database, and it would replace the home's database")
		case c.DB && !db:
			return refuse(e.File.Name, "an SQLite database, and the home's %s is not one (move it away first)", e.Name)
		}
	}
	switch {
	case fi == nil:
		c.Action = ActNew
	case uint64(fi.Size()) == c.Size && sameHash(filepath.Join(im.Root, e.Name), sum):
		c.Action = ActUnchanged
	default:
		c.Action = ActOverwrite
		_, inner := homeRel(e.Name)
		c.Confirm = inner == home.ConfigFile || inner == home.EnvFile
	}
	im.Changes = append(im.Changes, c)
	return nil
}

// checkHomePath checks where an entry would go in root: no element of
// the path below root may be a symbolic link or a non-folder, and the
// target must be missing or (for a file) a regular file. It returns the
// target's info, nil when missing.
func checkHomePath(root, name string, dir bool) (fs.FileInfo, error) {
	parts := strings.Split(name, "/")
	p := root
	for i, part := range parts {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", p, err)
		}
		last := i == len(parts)-1
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			return nil, refuse(name, "%s is a symbolic link in the home; an import never writes through links (remove the link first)", p)
		case (!last || dir) && !fi.IsDir():
			return nil, refuse(name, "%s is a file in the home, the archive has a folder there", p)
		case last && !dir && !fi.Mode().IsRegular():
			return nil, refuse(name, "%s is not a regular file in the home", p)
		case last:
			return fi, nil
		}
	}
	return nil, nil
}

// hashEntry reads a whole entry (which checks its CRC-32 and declared
// size) and returns its SHA-256 and first 16 bytes.
func hashEntry(f *zip.File) ([]byte, []byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	h := sha256.New()
	head := &headWriter{}
	n, err := io.Copy(io.MultiWriter(h, head), rc)
	if err != nil {
		return nil, nil, err
	}
	if uint64(n) != f.UncompressedSize64 {
		return nil, nil, fmt.Errorf("%d bytes, the header says %d", n, f.UncompressedSize64)
	}
	return h.Sum(nil), head.b, nil
}

type headWriter struct{ b []byte }

func (w *headWriter) Write(p []byte) (int, error) {
	if room := len(sqliteMagic) - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func sameHash(path string, sum []byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return bytes.Equal(h.Sum(nil), sum)
}

// checkSpace refuses an import the file system cannot hold: what is
// written, plus a scratch copy of every database.
func (im *Import) checkSpace() error {
	var need uint64
	for _, c := range im.Changes {
		if c.Action == ActNew || c.Action == ActOverwrite {
			need += c.Size
			if c.DB {
				need += c.Size
			}
		}
	}
	dir := im.Root
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return nil // unknown: the writes report a full disk themselves
	}
	if free := st.Bavail * uint64(st.Bsize); need > free {
		return refuse("", "it needs %d bytes and %s has %d free", need, dir, free)
	}
	return nil
}

// NeedConfirm lists the files (config.yaml, .env) the import would
// overwrite with different content.
func (im *Import) NeedConfirm() []string {
	var out []string
	for _, c := range im.Changes {
		if c.Confirm {
			out = append(out, c.Name)
		}
	}
	return out
}

// Keep leaves the home's own copy of name in place.
func (im *Import) Keep(name string) {
	for i := range im.Changes {
		if im.Changes[i].Name == name {
			im.Changes[i].Action, im.Changes[i].Why, im.Changes[i].Confirm = ActSkip, "kept the home's own (not confirmed)", false
		}
	}
}

// GatewayRunning returns the error Apply would refuse with because a
// gateway holds a database the import restores, or nil.
func (im *Import) GatewayRunning() error {
	locks, err := im.gatewayLocks()
	for _, l := range locks {
		l.Unlock()
	}
	return err
}

// gatewayLocks takes the gateway lock (gateway.pid) of every home whose
// databases the import restores, so no gateway starts meanwhile. A lock
// file that does not exist means no gateway ever ran there; it is not
// created.
func (im *Import) gatewayLocks() ([]*fileutil.Lock, error) {
	seen := map[string]bool{}
	var locks []*fileutil.Lock
	for _, c := range im.Changes {
		if !c.DB || (c.Action != ActNew && c.Action != ActOverwrite) {
			continue
		}
		profile, _ := homeRel(c.Name)
		dir := im.Root
		if profile != "" {
			dir = home.Dir(im.Root, profile)
		}
		if seen[dir] {
			continue
		}
		seen[dir] = true
		pidPath := filepath.Join(dir, home.GatewayPID)
		if fi, err := os.Lstat(pidPath); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		l, err := fileutil.LockFile(context.Background(), pidPath, fileutil.LockOptions{})
		if err != nil {
			for _, l := range locks {
				l.Unlock()
			}
			pid, _ := fileutil.ReadPID(pidPath)
			return nil, &GatewayRunningError{Dir: dir, Profile: profile, PID: pid}
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// perm is the mode an imported file gets: secrets 0600, others 0600 or,
// when executable in the archive, 0700.
func perm(name string, archived fs.FileMode) fs.FileMode {
	_, inner := homeRel(name)
	switch inner {
	case home.EnvFile, home.AuthFile, home.StateDB:
		return fileutil.PrivateFile
	}
	if archived&0o111 != 0 {
		return 0o700
	}
	return fileutil.PrivateFile
}
