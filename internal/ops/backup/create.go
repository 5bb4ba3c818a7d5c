package backup

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

// LockName is the lock file in the root that one backup or import at a
// time holds.
const LockName = "backup.lock"

// archiveComment marks a zip as a hermes backup, so a backup saved
// under another name inside the home is still left out of the next one.
const archiveComment = "hermes-backup v1"

// tmpDirPrefix names the scratch folder of a running backup (database
// copies), next to the zip being written.
const tmpDirPrefix = ".hermes-backup-tmp-"

// Options are the inputs of Create.
type Options struct {
	Root   string // the hermes root (HERMES_HOME)
	Output string // a file or an existing directory; "" is Root
	Keep   int    // > 0: keep this many hermes-backup-*.zip in the output directory
	Quick  bool   // leave out cron/output/ and platforms/api_server/
	// Now is the clock for the file name; nil is time.Now.
	Now func() time.Time
	// Progress, when set, is called with bytes done and the estimated
	// total while the zip is written.
	Progress func(done, total int64)
}

// Group sums the files of one top-level item of the home (config.yaml,
// memories/, profiles/work/...).
type Group struct {
	Name  string `json:"name"`
	Files int    `json:"files"`
	Bytes int64  `json:"bytes"`
	DBs   int    `json:"databases,omitempty"`
}

// Result describes a finished backup.
type Result struct {
	Path    string  `json:"path"`
	Size    int64   `json:"size"`
	Files   int     `json:"files"`
	SHA256  string  `json:"sha256"`
	Groups  []Group `json:"-"`
	Skipped []Skip  `json:"-"`
	Pruned  []string
}

// BusyError is returned when another backup or import holds the lock.
type BusyError struct {
	Root string
	PID  int // 0 when unknown
}

func (e *BusyError) Error() string {
	who := ""
	if e.PID > 0 {
		who = fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("another backup or import of %s is running%s; wait for it to finish and try again", e.Root, who)
}

// lock takes the root's backup lock without waiting.
func lock(ctx context.Context, root string) (*fileutil.Lock, error) {
	path := filepath.Join(root, LockName)
	l, err := fileutil.LockFile(ctx, path, fileutil.LockOptions{})
	if errors.Is(err, fileutil.ErrLockTimeout) {
		pid, _ := fileutil.ReadPID(path)
		return nil, &BusyError{Root: root, PID: pid}
	}
	if err != nil {
		return nil, err
	}
	if err := l.WritePID(); err != nil {
		l.Unlock()
		return nil, err
	}
	return l, nil
}

// Target returns where a backup made at now goes for output ("" is root):
// a directory gets a timestamped name, anything else is the file itself.
func Target(root, output string, now time.Time) (string, error) {
	if output == "" {
		output = root
	}
	abs, err := filepath.Abs(output)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err == nil && fi.IsDir() {
		return freeName(abs, now)
	}
	if strings.HasSuffix(output, "/") {
		return "", fmt.Errorf("--output %s: no such directory", output)
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("--output %s: its folder %s does not exist", output, filepath.Dir(abs))
	}
	if err == nil && !isZipOrEmpty(abs) {
		return "", fmt.Errorf("--output %s exists and is not a zip; choose another path", output)
	}
	return abs, nil
}

// isZipOrEmpty reports whether the file at p is empty or starts like a
// zip, so --output never replaces an unrelated file.
func isZipOrEmpty(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	return n == 0 || string(head[:n]) == "PK\x03\x04"
}

// freeName returns dir/hermes-backup-<now>.zip, with -2, -3... when a
// backup of the same second exists.
func freeName(dir string, now time.Time) (string, error) {
	base := "hermes-backup-" + now.Format("2006-01-02-150405")
	for i := 1; i < 1000; i++ {
		name := base + ".zip"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.zip", base, i)
		}
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
	}
	return "", fmt.Errorf("too many backups named %s-* in %s", base, dir)
}

// DryRun returns what a backup with opts would include, writing nothing.
func DryRun(opts Options) (*Plan, error) {
	return Scan(opts.Root, opts.Quick, "")
}

// Create writes a backup of opts.Root. The zip is written to NAME.partial
// and renamed when complete; every database is copied with SQLite's
// online backup API. On success the last-backup record of the root and of
// every backed-up profile is updated, and old backups are pruned (Keep).
func Create(ctx context.Context, opts Options) (*Result, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	l, err := lock(ctx, opts.Root)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	target, err := Target(opts.Root, opts.Output, now())
	if err != nil {
		return nil, err
	}
	plan, err := Scan(opts.Root, opts.Quick, target)
	if err != nil {
		return nil, err
	}
	res, err := writeZip(ctx, plan, target, opts.Progress)
	if err != nil {
		return nil, err
	}
	res.Skipped = plan.Skipped
	if opts.Keep > 0 {
		res.Pruned, err = Prune(filepath.Dir(target), opts.Keep)
		if err != nil {
			return res, err
		}
	}
	rec := Record{Time: now().UTC(), Path: res.Path, Size: res.Size, Files: res.Files, SHA256: res.SHA256}
	return res, writeRecords(opts.Root, plan, rec)
}

// writeRecords writes rec in the root and in every profile backed up.
func writeRecords(root string, plan *Plan, rec Record) error {
	dirs := map[string]bool{root: true}
	for _, it := range plan.Items {
		if name, _ := homeRel(it.Rel); name != "" && home.ValidateName(name) == nil {
			dirs[home.Dir(root, name)] = true
		}
	}
	var errs []error
	for d := range dirs {
		errs = append(errs, WriteRecord(&home.Home{Root: root, Dir: d}, rec))
	}
	return errors.Join(errs...)
}

// zipWriter is the zip being written, with its hash and progress.
type zipWriter struct {
	ctx      context.Context
	zw       *zip.Writer
	tmpDir   string
	done     int64
	total    int64
	progress func(done, total int64)
	groups   map[string]*Group
	files    int
}

// writeZip writes plan's files into target via target.partial.
func writeZip(ctx context.Context, plan *Plan, target string, progress func(done, total int64)) (*Result, error) {
	dir := filepath.Dir(target)
	tmpDir, err := os.MkdirTemp(dir, tmpDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	partial := target + ".partial"
	_ = os.Remove(partial) // a crashed earlier run's; we hold the lock
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileutil.PrivateFile)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(partial)
		}
	}()
	hash := sha256.New()
	counter := &countWriter{}
	buf := bufio.NewWriterSize(io.MultiWriter(f, hash, counter), 256<<10)
	w := &zipWriter{ctx: ctx, zw: zip.NewWriter(buf), tmpDir: tmpDir, total: plan.Total, progress: progress, groups: map[string]*Group{}}
	w.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, it := range plan.Items {
		if err := w.add(it); err != nil {
			return nil, err
		}
	}
	if err := w.zw.SetComment(archiveComment); err != nil {
		return nil, err
	}
	if err := w.zw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := finish(buf, f, partial, target); err != nil {
		return nil, err
	}
	ok = true
	return &Result{Path: target, Size: counter.n, Files: w.files, SHA256: hex.EncodeToString(hash.Sum(nil)), Groups: w.sortedGroups()}, nil
}

// finish flushes, fsyncs and closes the partial file, then renames it.
func finish(buf *bufio.Writer, f *os.File, partial, target string) error {
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, target); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	d, err := os.Open(filepath.Dir(target))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// add writes one item; databases go through an online copy first.
func (w *zipWriter) add(it Item) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	src := it.Abs
	if it.DB {
		tmp := filepath.Join(w.tmpDir, fmt.Sprintf("db-%d", w.files))
		base := w.done
		_, err := copyDB(w.ctx, it.Abs, tmp, func(copied int64) { w.report(base + min(copied, it.Size)/2) })
		if _, serr := os.Stat(it.Abs); err != nil && errors.Is(serr, fs.ErrNotExist) {
			return nil // removed since the scan
		}
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		w.done = base + it.Size/2
		defer os.Remove(tmp)
		src = tmp
	}
	n, err := w.copyFile(it, src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // removed since the scan
	}
	if err != nil {
		return fmt.Errorf("backup %s: %w", it.Rel, err)
	}
	w.count(it, n)
	return nil
}

// copyFile streams src into the zip as it.Rel.
func (w *zipWriter) copyFile(it Item, src string) (int64, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, errors.New("not a regular file")
	}
	hdr := &zip.FileHeader{Name: it.Rel, Method: zip.Deflate, Modified: fi.ModTime()}
	hdr.SetMode(it.Mode)
	out, err := w.zw.CreateHeader(hdr)
	if err != nil {
		return 0, err
	}
	start := w.done
	scale := int64(1)
	if it.DB {
		scale = 2 // the second half of a database's share
	}
	pr := &progressReader{r: f, fn: func(n int64) { w.report(start + min(n, fi.Size())/scale) }}
	return io.Copy(out, pr)
}

func (w *zipWriter) report(done int64) {
	if w.progress != nil {
		w.progress(done, w.total)
	}
}

func (w *zipWriter) count(it Item, n int64) {
	w.files++
	w.done += n
	if it.DB {
		w.done = w.done - n + n/2 // the copy counted the first half
	}
	name := groupName(it.Rel)
	g := w.groups[name]
	if g == nil {
		g = &Group{Name: name}
		w.groups[name] = g
	}
	g.Files++
	g.Bytes += n
	if it.DB {
		g.DBs++
	}
	w.report(w.done)
}

func (w *zipWriter) sortedGroups() []Group {
	out := make([]Group, 0, len(w.groups))
	for _, g := range w.groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// groupName is the top-level item rel belongs to: "config.yaml",
// "memories/", "profiles/work/".
func groupName(rel string) string {
	if name, _ := homeRel(rel); name != "" {
		return home.ProfilesDir + "/" + name + "/"
	}
	top, _, more := strings.Cut(rel, "/")
	if more {
		return top + "/"
	}
	return top
}

// backupKey orders backup names by time, then by their -N suffix.
func backupKey(name string) string {
	stem := strings.TrimSuffix(strings.TrimPrefix(name, "hermes-backup-"), ".zip")
	const tsLen = len("2006-01-02-150405")
	if len(stem) < tsLen {
		return stem
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(stem[tsLen:], "-"))
	return fmt.Sprintf("%s-%03d", stem[:tsLen], n)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// progressReader reports the bytes read so far.
type progressReader struct {
	r  io.Reader
	n  int64
	fn func(n int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if n > 0 {
		p.fn(p.n)
	}
	return n, err
}

// Prune removes the oldest hermes-backup-*.zip files in dir so that keep
// remain, and returns the paths removed. Other files are never touched.
func Prune(dir string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("--keep %d: keep at least 1", keep)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool { return backupKey(names[i]) > backupKey(names[j]) }) // newest first
	var removed []string
	for _, n := range names[min(keep, len(names)):] {
		p := filepath.Join(dir, n)
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("prune: %w", err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}
