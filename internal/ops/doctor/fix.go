package doctor

import (
	"context"
	"fmt"
	"os"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/home"
)

// Fix makes the safe repairs in h and in every other profile of its root:
// the home folders 0700 and .env, auth.json and state.db 0600, the
// missing layout folders, and pid and lock files whose process is dead
// (gateway.pid, cron.lock). It touches nothing else, and returns one line
// per thing it did.
func Fix(h *home.Home) ([]string, error) {
	homes := []*home.Home{h}
	if list, err := home.List(h.Root); err == nil {
		for _, p := range list {
			if p.Name != h.Profile {
				homes = append(homes, &home.Home{Root: h.Root, Profile: p.Name, Dir: p.Dir})
			}
		}
	}
	var done []string
	for _, x := range homes {
		d, err := fixOne(x)
		done = append(done, d...)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func fixOne(h *home.Home) ([]string, error) {
	var done []string
	for _, d := range append([]string{h.Dir}, layoutDirs...) {
		p := d
		if d != h.Dir {
			p = h.Path(d)
		}
		if exists(p) {
			continue
		}
		if err := fileutil.EnsureDir(p, fileutil.PrivateDir); err != nil {
			return done, err
		}
		done = append(done, "created "+p)
	}
	paths := homeDirs(h)
	for _, f := range secretFiles {
		paths = append(paths, h.Path(f), h.Path(f)+"-wal", h.Path(f)+"-shm")
	}
	for _, p := range paths {
		loose, mode, err := fileutil.CheckPrivate(p)
		if err != nil || !loose {
			continue
		}
		if err := fileutil.FixPrivate(p); err != nil {
			return done, err
		}
		fi, _ := os.Stat(p)
		done = append(done, fmt.Sprintf("chmod %04o %s (was %04o)", fi.Mode().Perm(), p, mode))
	}
	for _, f := range []string{home.GatewayPID, home.CronLock} {
		removed, err := removeStale(h.Path(f))
		if err != nil {
			return done, err
		}
		if removed != "" {
			done = append(done, removed)
		}
	}
	return done, nil
}

// removeStale removes a pid or lock file that names a dead process,
// holding the lock while it does so nobody takes it in between. A file
// whose lock is held, or that names a live process, is kept.
func removeStale(path string) (string, error) {
	pid, err := fileutil.ReadPID(path)
	if err != nil || fileutil.PIDAlive(pid) {
		return "", nil
	}
	l, err := fileutil.LockFile(context.Background(), path, fileutil.LockOptions{})
	if err != nil {
		return "", nil // held: someone runs, the pid is only out of date
	}
	defer l.Unlock()
	if again, err := fileutil.ReadPID(path); err != nil || again != pid {
		return "", nil
	}
	if err := os.Remove(path); err != nil {
		return "", fmt.Errorf("remove stale %s: %w", path, err)
	}
	return fmt.Sprintf("removed stale %s (pid %d is gone)", path, pid), nil
}
