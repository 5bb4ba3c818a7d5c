package cron

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// File names under <home>/cron.
const (
	JobsFile  = "jobs.json"
	jobsLock  = "jobs.lock" // the lock is its own file: jobs.json is replaced on every write
	OutputDir = "output"
)

// lockTimeout bounds the wait for another writer of jobs.json.
const lockTimeout = 30 * time.Second

// ErrNoJob is a reference that matches no job.
var ErrNoJob = errors.New("no such job")

// Jobs is the job store: <home>/cron/jobs.json, read under a shared lock
// and rewritten atomically (temp file and rename, 0600) under an
// exclusive one, so the CLI, the scheduler and the agent's tool, in any
// process, never lose each other's changes.
type Jobs struct {
	dir string
	// The last file read, decoded: a tick neither decodes nor copies the
	// jobs when jobs.json is unchanged (see snapshot).
	mu      sync.Mutex
	cache   *snapshot
	scratch []byte // sameBytes's buffer
}

// snapshot is jobs.json as last read; it is never changed after it is
// made (callers get clones of its jobs).
type snapshot struct {
	data   []byte
	stat   fileKey
	readAt time.Time
	jobs   []Job
	// order indexes the enabled, scheduled jobs that have a next_run_at,
	// earliest first: a tick looks only at the due ones.
	order []int
}

// fileKey identifies one version of jobs.json without reading it: every
// write replaces the file (a new inode), and a hand edit changes the
// modification and change times.
type fileKey struct {
	ino, size        uint64
	mtimeNs, ctimeNs int64
}

// racyWindow: a file modified less than this before it was read may be
// modified again with the same times (file times are coarse), so its
// bytes are compared instead of trusting its key (git's "racily clean").
var racyWindow = 2 * time.Second

func statKey(fi os.FileInfo) (fileKey, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileKey{}, false
	}
	return fileKey{ino: uint64(st.Ino), size: uint64(st.Size), mtimeNs: st.Mtim.Nano(), ctimeNs: st.Ctim.Nano()}, true
}

// OpenJobs returns the store in dir (<home>/cron), creating dir 0700.
func OpenJobs(dir string) (*Jobs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cron store: %w", err)
	}
	return &Jobs{dir: dir}, nil
}

// Dir is <home>/cron.
func (s *Jobs) Dir() string { return s.dir }

// Path is jobs.json.
func (s *Jobs) Path() string { return filepath.Join(s.dir, JobsFile) }

type jobsFile struct {
	Jobs []Job `json:"jobs"`
}

func (s *Jobs) lock(shared bool) (*fileutil.Lock, error) {
	l, err := fileutil.LockFile(context.Background(), filepath.Join(s.dir, jobsLock),
		fileutil.LockOptions{Shared: shared, Timeout: lockTimeout})
	if err != nil {
		return nil, fmt.Errorf("cron store: %w", err)
	}
	return l, nil
}

// List returns every job.
func (s *Jobs) List() ([]Job, error) {
	l, err := s.lock(true)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	snap, err := s.read()
	if err != nil || snap == nil {
		return nil, err
	}
	return slices.Clone(snap.jobs), nil
}

// Due returns the enabled, scheduled jobs whose next_run_at is not after
// now, earliest first, and the earliest next_run_at after now (zero: none).
// With jobs.json unchanged it costs a stat, not a decode.
func (s *Jobs) Due(now time.Time) (due []Job, next time.Time, err error) {
	l, err := s.lock(true)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer l.Unlock()
	snap, err := s.read()
	if err != nil || snap == nil {
		return nil, time.Time{}, err
	}
	for _, i := range snap.order {
		j := &snap.jobs[i]
		if j.NextRunAt.After(now) {
			return due, *j.NextRunAt, nil
		}
		due = append(due, *j)
	}
	return due, time.Time{}, nil
}

// Get returns the job with id or unique name ref.
func (s *Jobs) Get(ref string) (Job, error) {
	jobs, err := s.List()
	if err != nil {
		return Job{}, err
	}
	i, err := Find(jobs, ref)
	if err != nil {
		return Job{}, err
	}
	return jobs[i], nil
}

// Update runs fn on the jobs under the exclusive lock and writes the
// result when fn returns nil. Every job is checked before the write.
func (s *Jobs) Update(fn func(jobs []Job) ([]Job, error)) error {
	l, err := s.lock(false)
	if err != nil {
		return err
	}
	defer l.Unlock()
	snap, err := s.read()
	if err != nil {
		return err
	}
	var jobs []Job
	if snap != nil {
		jobs = slices.Clone(snap.jobs)
	}
	jobs, err = fn(jobs)
	if err != nil {
		return err
	}
	for i := range jobs {
		if err := jobs[i].Check(); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(jobsFile{Jobs: jobs}, "", "  ")
	if err != nil {
		return err
	}
	if err := fileutil.WriteFile(s.Path(), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("cron store: write %s: %w", s.Path(), err)
	}
	// What was written is the new snapshot: the next read needs no decode.
	s.mu.Lock()
	s.cache = nil
	if fi, err := os.Stat(s.Path()); err == nil {
		if key, ok := statKey(fi); ok {
			s.cache = newSnapshot(append(data, '\n'), key, time.Now(), slices.Clone(jobs))
		}
	}
	s.mu.Unlock()
	return nil
}

// UpdateJob runs fn on the job with id (not a name: the caller has
// resolved it) under the lock.
func (s *Jobs) UpdateJob(id string, fn func(j *Job) error) error {
	return s.Update(func(jobs []Job) ([]Job, error) {
		i := slices.IndexFunc(jobs, func(j Job) bool { return j.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("job %s: %w (removed meanwhile?)", id, ErrNoJob)
		}
		return jobs, fn(&jobs[i])
	})
}

// read loads jobs.json (nil: a missing or empty file, no jobs). The
// snapshot is shared: callers clone what they hand out or change. Called
// under the store's file lock.
func (s *Jobs) read() (*snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		s.cache = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cron store: %w", err)
	}
	key, keyed := statKey(fi)
	if c := s.cache; c != nil && keyed && c.stat == key && c.readAt.Sub(fi.ModTime()) >= racyWindow {
		return c, nil
	}
	readAt := time.Now()
	if c := s.cache; c != nil && fi.Size() == int64(len(c.data)) && s.sameBytes(c.data) {
		// Same bytes: keep the decoded jobs, note the (maybe new) key.
		s.cache = &snapshot{data: c.data, stat: key, readAt: readAt, jobs: c.jobs, order: c.order}
		return s.cache, nil
	}
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		s.cache = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cron store: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		s.cache = nil
		return nil, nil
	}
	jobs, err := s.decode(data)
	if err != nil {
		return nil, err
	}
	s.cache = newSnapshot(data, key, readAt, jobs)
	return s.cache, nil
}

// sameBytes reports whether jobs.json holds exactly want, reading it into
// a buffer kept between calls (no allocation per tick).
func (s *Jobs) sameBytes(want []byte) bool {
	f, err := os.Open(s.Path())
	if err != nil {
		return false
	}
	defer f.Close()
	if cap(s.scratch) < len(want)+1 {
		s.scratch = make([]byte, len(want)+1)
	}
	buf := s.scratch[:len(want)+1]
	n, err := io.ReadFull(f, buf)
	if err != io.ErrUnexpectedEOF || n != len(want) {
		return false // shorter, longer, or unreadable
	}
	return bytes.Equal(buf[:n], want)
}

func newSnapshot(data []byte, key fileKey, readAt time.Time, jobs []Job) *snapshot {
	snap := &snapshot{data: data, stat: key, readAt: readAt, jobs: jobs}
	for i := range jobs {
		if j := &jobs[i]; j.Enabled && j.State == StateScheduled && j.NextRunAt != nil {
			snap.order = append(snap.order, i)
		}
	}
	slices.SortStableFunc(snap.order, func(a, b int) int { return jobs[a].NextRunAt.Compare(*jobs[b].NextRunAt) })
	return snap
}

func (s *Jobs) decode(data []byte) ([]Job, error) {
	var f jobsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		line := 1 + bytes.Count(data[:min(int(dec.InputOffset()), len(data))], []byte("\n"))
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		} else if errors.Is(err, io.ErrUnexpectedEOF) {
			line = 1 + bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n"))
		}
		return nil, fmt.Errorf("%s:%d: %v; fix the file by hand or move it aside (hermes recreates it empty)", s.Path(), line, err)
	}
	// A job's fields are replaced, never changed in place (pointers and
	// slices included), so shallow clones keep the snapshot intact.
	return f.Jobs, nil
}

// Find returns the index of the job whose id is ref, else whose name is
// ref (case-insensitive); a name shared by several jobs is refused.
func Find(jobs []Job, ref string) (int, error) {
	ref = strings.TrimSpace(ref)
	for i := range jobs {
		if jobs[i].ID == ref {
			return i, nil
		}
	}
	found := -1
	var ids []string
	for i := range jobs {
		if strings.EqualFold(jobs[i].Name, ref) {
			found = i
			ids = append(ids, jobs[i].ID)
		}
	}
	switch {
	case len(ids) > 1:
		return -1, fmt.Errorf("job name %q is shared by %s: use the id", ref, strings.Join(ids, ", "))
	case found < 0:
		return -1, fmt.Errorf("job %q: %w (hermes cron list shows ids and names)", ref, ErrNoJob)
	}
	return found, nil
}
