package gateway

import (
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// SystemdNotifier returns how to tell systemd the gateway's state
// (sd_notify on $NOTIFY_SOCKET; nothing happens without one) and the
// watchdog interval systemd asks for (0: none, or not this process).
func SystemdNotifier(logf func(string, ...any)) (notify func(state string), watchdog time.Duration) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	wd, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		logf("systemd watchdog: %v", err)
		wd = 0
	}
	var warned bool
	notify = func(state string) {
		if _, err := daemon.SdNotify(false, state); err != nil && !warned {
			warned = true
			logf("systemd notify: %v", err)
		}
	}
	return notify, wd
}

// reloadingState is RELOADING=1 with the monotonic timestamp systemd
// wants with it.
func reloadingState() string {
	s := daemon.SdNotifyReloading
	if ts := daemon.SdNotifyMonotonicUsec(); ts != "" {
		s += "\n" + ts
	}
	return s
}
