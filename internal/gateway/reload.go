package gateway

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Reloader reloads the configuration on SIGHUP or when one of Paths
// changes (size or modification time, polled). A load that fails is
// logged with its file:line:col and the last good configuration stays.
type Reloader struct {
	Paths []string
	// Load reads and validates every file; its error names the place.
	Load func() error
	// Apply switches to what Load read; called only after Load succeeded.
	Apply    func()
	Logf     func(string, ...any)
	Interval time.Duration // polling; 0 is 2s
	// Notify, when set, tells systemd RELOADING=1 before a reload and
	// READY=1 after it (applied or rejected).
	Notify func(state string)

	stamps []string
}

func (r *Reloader) stamp() []string {
	out := make([]string, len(r.Paths))
	for i, p := range r.Paths {
		if fi, err := os.Stat(p); err == nil {
			out[i] = fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10)
		}
	}
	return out
}

// Changed reports whether a file changed since the last call (the first
// call records the state and reports false).
func (r *Reloader) Changed() bool {
	now := r.stamp()
	if r.stamps == nil {
		r.stamps = now
		return false
	}
	changed := false
	for i := range now {
		if now[i] != r.stamps[i] {
			changed = true
		}
	}
	r.stamps = now
	return changed
}

// Reload loads and, when valid, applies; it reports whether it applied.
func (r *Reloader) Reload(why string) bool {
	if r.Notify != nil {
		r.Notify(reloadingState())
		defer r.Notify(daemon.SdNotifyReady)
	}
	if err := r.Load(); err != nil {
		r.Logf("config reload (%s) rejected, keeping the last good config: %v", why, err)
		return false
	}
	r.Apply()
	r.Logf("config reloaded (%s)", why)
	return true
}

// Run reloads on each value of hup and on file changes until ctx ends.
func (r *Reloader) Run(ctx context.Context, hup <-chan os.Signal) {
	every := r.Interval
	if every <= 0 {
		every = 2 * time.Second
	}
	r.Changed()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.Changed()
			r.Reload("SIGHUP")
		case <-t.C:
			if r.Changed() {
				r.Reload("file changed")
			}
		}
	}
}
