// Package fileutil owns the file primitives every hermes package uses:
// atomic writes, advisory locks with timeouts, and the permission rules for
// secrets.
//
// Atomic writes (WriteFile, WriteFileFrom, WritePrivate) never expose a
// partially written file: data goes to a temp file in the target's
// directory named ".<base>.tmp-<16 hex digits>", which is fsynced, closed
// and then renamed over the target, after which the directory is fsynced.
// A process killed before the rename leaves the old file intact plus, at
// worst, one such temp file. Temp files are never read by hermes; they are
// stale leftovers and CleanTemps removes them.
//
// Locks (LockFile, WithLock) are flock(2) advisory locks on a dedicated
// lock file. flock belongs to an open file description, so two LockFile
// calls in one process exclude each other just like two processes do. Lock
// files are never deleted: removing one while it is held would let a second
// process lock a fresh file at the same path.
package fileutil

import "os"

// Permission modes used across hermes. Secrets (.env, auth.json, the
// SQLite database) are PrivateFile inside PrivateDir directories.
const (
	PrivateFile os.FileMode = 0o600
	PrivateDir  os.FileMode = 0o700
	PublicFile  os.FileMode = 0o644
)
