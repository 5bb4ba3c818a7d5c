package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// stepPages is how many pages one backup step copies between progress
// reports (4 MiB with 4 KiB pages).
const stepPages = 1024

// maxRestarts is how often a stepped copy may be restarted by another
// connection's write before the rest is copied in one step, which holds a
// read transaction to the end (in WAL mode writers carry on meanwhile).
const maxRestarts = 3

// backuper is what modernc.org/sqlite's connection offers for SQLite's
// online backup API (sqlite3_backup_*).
type backuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
	NewRestore(srcURI string) (*sqlite.Backup, error)
}

// dsn builds a modernc.org/sqlite data source name for a path: the path
// part is escaped so a '?' or '#' in a folder name is not a query.
func dsn(path string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}
	return u.String()
}

// copyDB copies the database at src into a new file dst with SQLite's
// online backup API: the copy is one consistent snapshot even while
// another process (the gateway) writes to src. progress gets the bytes
// copied so far (it may go back when a write restarts the copy). It
// returns how often another connection's write restarted the copy.
func copyDB(ctx context.Context, src, dst string, progress func(copied int64)) (restarts int, err error) {
	// mode=rw: never create src (a database removed since the scan).
	db, err := sql.Open("sqlite", dsn(src, "busy_timeout(10000)", "query_only(1)")+"&mode=rw")
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", src, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", src, err)
	}
	defer conn.Close()
	var pageSize int64
	if err := conn.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return 0, fmt.Errorf("read %s: %w", src, err)
	}
	err = conn.Raw(func(dc any) error {
		b, ok := dc.(backuper)
		if !ok {
			return errors.New("the SQLite driver has no online backup API")
		}
		bk, err := b.NewBackup(dsn(dst))
		if err != nil {
			return err
		}
		restarts, err = runSteps(ctx, bk, func(pages int) {
			if progress != nil {
				progress(int64(pages) * pageSize)
			}
		})
		return err
	})
	if err != nil {
		return restarts, fmt.Errorf("online copy of %s: %w", src, err)
	}
	return restarts, nil
}

// runSteps drives a backup to its end and finishes it, and returns how
// often the copy restarted. A step that finds the source locked
// (SQLITE_BUSY / SQLITE_LOCKED) is retried for a while.
func runSteps(ctx context.Context, bk *sqlite.Backup, progress func(pages int)) (restarts int, err error) {
	defer func() {
		if ferr := bk.Finish(); err == nil {
			err = ferr
		}
	}()
	last, busySince := -1, time.Time{}
	for {
		if err := ctx.Err(); err != nil {
			return restarts, err
		}
		n := int32(stepPages)
		if restarts >= maxRestarts {
			n = -1
		}
		more, err := bk.Step(n)
		if err != nil {
			if !isBusy(err) {
				return restarts, err
			}
			if busySince.IsZero() {
				busySince = time.Now()
			} else if time.Since(busySince) > 30*time.Second {
				return restarts, fmt.Errorf("%w (the database stayed locked for 30s)", err)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		busySince = time.Time{}
		done := bk.PageCount() - bk.Remaining()
		if !more {
			done = bk.PageCount()
		}
		if more && done <= last {
			// No progress: the source changed and the copy started over.
			// (done equal to last is a restart too: a source written to
			// between every step restarts each one at the same count.)
			restarts++
		}
		last = done
		progress(done)
		if !more {
			return restarts, nil
		}
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code() & 0xff
		return code == 5 || code == 6 // SQLITE_BUSY, SQLITE_LOCKED
	}
	s := err.Error()
	return strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked")
}
