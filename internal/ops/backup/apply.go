package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

// importTmpPrefix names the scratch folder an import extracts databases
// into, inside the root; backups leave it out.
const importTmpPrefix = ".hermes-import-tmp-"

// Apply writes the planned changes. It refuses, writing nothing, while a
// gateway holds a database the archive restores. Databases are extracted
// and checked (PRAGMA quick_check) before any file is written, then
// restored with SQLite's backup API into the existing database (the file
// keeps its inode, so a process that has it open sees the new content
// through SQLite's locks) or into a new file. Other files are replaced
// atomically.
func (im *Import) Apply(ctx context.Context) (*ImportResult, error) {
	gw, err := im.gatewayLocks()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, l := range gw {
			l.Unlock()
		}
	}()
	if err := fileutil.EnsureDir(im.Root, fileutil.PrivateDir); err != nil {
		return nil, err
	}
	l, err := lock(ctx, im.Root)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	scratch, err := os.MkdirTemp(im.Root, importTmpPrefix)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	res := &ImportResult{}
	dbs, err := im.extractDBs(ctx, scratch, res)
	if err != nil {
		return nil, err
	}
	for _, d := range im.dirs {
		if err := im.ensureDir(d); err != nil {
			return res, err
		}
	}
	for _, c := range im.Changes {
		if err := im.applyOne(ctx, c, dbs, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// applyOne writes one change.
func (im *Import) applyOne(ctx context.Context, c Change, dbs map[string]string, res *ImportResult) error {
	switch c.Action {
	case ActSkip:
		res.Skipped++
		return nil
	case ActUnchanged:
		res.Unchanged++
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := checkHomePath(im.Root, c.Name, false); err != nil {
		return err // the home changed since the plan
	}
	if err := im.ensureDir(path.Dir(c.Name)); err != nil {
		return err
	}
	target := filepath.Join(im.Root, filepath.FromSlash(c.Name))
	var err error
	if c.DB {
		err = restoreDB(ctx, dbs[c.Name], target)
	} else {
		err = im.withOwnerLocks(ctx, c.Name, func() error { return writeEntry(c, target) })
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", c.Name, err)
	}
	res.Written++
	return nil
}

// ownerLocks returns the lock files that hermes' own writers of the file
// name hold while they read, change and replace it: <dir>/.lock (memories,
// pairing), cron/jobs.lock (cron/jobs.json), <file>.lock (auth.json),
// <dir>/.<file>.lock (config.yaml) and <home>/skills/.lock. Only those that
// exist: a lock file nobody made has no holder.
func (im *Import) ownerLocks(name string) []string {
	dir := filepath.Join(im.Root, filepath.FromSlash(path.Dir(name)))
	base := path.Base(name)
	cands := []string{
		filepath.Join(dir, ".lock"),
		filepath.Join(dir, base+".lock"),
		filepath.Join(dir, "."+base+".lock"),
	}
	_, inner := homeRel(name)
	if inner == home.CronDir+"/jobs.json" {
		cands = append(cands, filepath.Join(dir, "jobs.lock"))
	}
	if strings.HasPrefix(inner, home.SkillsDir+"/") {
		cands = append(cands, filepath.Join(im.Root, filepath.FromSlash(strings.TrimSuffix(name, inner)), home.SkillsDir, ".lock"))
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range cands {
		if c == filepath.Join(im.Root, LockName) {
			continue // ours, held already
		}
		if fi, err := os.Lstat(c); err == nil && fi.Mode().IsRegular() && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// withOwnerLocks runs write while holding name's owner locks, so a
// running cron daemon, memory or pairing writer does not replace the
// imported file with its own stale copy.
func (im *Import) withOwnerLocks(ctx context.Context, name string, write func() error) (err error) {
	for _, lp := range im.ownerLocks(name) {
		l, lerr := fileutil.LockFile(ctx, lp, fileutil.LockOptions{Timeout: 30 * time.Second})
		if lerr != nil {
			return lerr
		}
		defer func() { err = errors.Join(err, l.Unlock()) }()
	}
	return write()
}

// ensureDir creates a folder of the archive (and its parents) 0700.
func (im *Import) ensureDir(name string) error {
	if name == "." || name == "" {
		return nil
	}
	if _, err := checkHomePath(im.Root, name, true); err != nil {
		return err
	}
	return fileutil.EnsureDir(filepath.Join(im.Root, filepath.FromSlash(name)), fileutil.PrivateDir)
}

// writeEntry atomically replaces target with the entry's content.
func writeEntry(c Change, target string) error {
	rc, err := c.entry.File.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return fileutil.WriteFileFrom(target, perm(c.Name, c.entry.File.Mode()), func(w io.Writer) error {
		n, err := io.Copy(w, io.LimitReader(rc, int64(c.Size)+1))
		if err == nil && uint64(n) != c.Size {
			err = fmt.Errorf("%d bytes, the header says %d", n, c.Size)
		}
		return err
	})
}

// extractDBs copies every database the import restores into scratch and
// checks it; it also warns when an imported state.db has fewer sessions
// than the one it replaces. It returns entry name -> scratch path.
func (im *Import) extractDBs(ctx context.Context, scratch string, res *ImportResult) (map[string]string, error) {
	out := map[string]string{}
	for i, c := range im.Changes {
		if !c.DB || (c.Action != ActNew && c.Action != ActOverwrite) {
			continue
		}
		tmp := filepath.Join(scratch, fmt.Sprintf("%d.db", i))
		if err := extract(c, tmp); err != nil {
			return nil, fmt.Errorf("import %s: %w; nothing was written", c.Name, err)
		}
		if err := quickCheck(ctx, tmp); err != nil {
			return nil, refuse(c.entry.File.Name, "not a sound SQLite database (%v)", err)
		}
		out[c.Name] = tmp
		if _, inner := homeRel(c.Name); inner != home.StateDB || c.Action != ActOverwrite {
			continue
		}
		was, err1 := countSessions(ctx, filepath.Join(im.Root, filepath.FromSlash(c.Name)))
		now, err2 := countSessions(ctx, tmp)
		if err1 == nil && err2 == nil && now < was {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the imported %s has %d session(s), fewer than the %d of the database it replaces", c.Name, now, was))
		}
	}
	return out, nil
}

func extract(c Change, dst string) error {
	rc, err := c.entry.File.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileutil.PrivateFile)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(rc, int64(c.Size)+1))
	if err == nil && uint64(n) != c.Size {
		err = fmt.Errorf("%d bytes, the header says %d", n, c.Size)
	}
	return errors.Join(err, f.Close())
}

// quickCheck runs PRAGMA quick_check on the database at p.
func quickCheck(ctx context.Context, p string) error {
	db, err := sql.Open("sqlite", dsn(p, "query_only(1)"))
	if err != nil {
		return err
	}
	defer db.Close()
	var out string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&out); err != nil {
		return err
	}
	if out != "ok" {
		return errors.New(out)
	}
	return nil
}

// countSessions returns the rows of the sessions table of a state.db.
func countSessions(ctx context.Context, p string) (int, error) {
	db, err := sql.Open("sqlite", dsn(p, "query_only(1)", "busy_timeout(5000)"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&n)
	return n, err
}

// restoreDB copies the database src into dst with SQLite's backup API.
// An existing dst is written in place under SQLite's locks (never
// replaced by another file); a missing one is created 0600 first.
func restoreDB(ctx context.Context, src, dst string) error {
	if f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileutil.PrivateFile); err == nil {
		f.Close()
	}
	db, err := sql.Open("sqlite", dsn(dst, "busy_timeout(10000)"))
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		b, ok := dc.(backuper)
		if !ok {
			return errors.New("the SQLite driver has no online backup API")
		}
		bk, err := b.NewRestore(dsn(src))
		if err != nil {
			return err
		}
		_, err = runSteps(ctx, bk, func(int) {})
		return err
	})
	if err != nil {
		return err
	}
	return os.Chmod(dst, fileutil.PrivateFile)
}
