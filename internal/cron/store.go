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
	// The last file read and its decoded jobs: a tick re-reads jobs.json
	// but decodes it only when its bytes changed.
	mu        sync.Mutex
	cacheData []byte
	cacheJobs []Job
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
	return s.read()
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
	jobs, err := s.read()
	if err != nil {
		return err
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

// read loads jobs.json; a missing file is no jobs.
func (s *Jobs) read() ([]Job, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cron store: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cacheData != nil && bytes.Equal(data, s.cacheData) {
		return slices.Clone(s.cacheJobs), nil
	}
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
	// Callers get clones; a job's fields are replaced, never changed in
	// place (pointers and slices included), so the cache stays intact.
	s.cacheData, s.cacheJobs = data, f.Jobs
	return slices.Clone(f.Jobs), nil
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
