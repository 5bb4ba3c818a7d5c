package cron

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ProcessOwner names this process in a run claim: pid, boot id and the
// process start time, so a claim survives pid reuse and reboots as
// "not alive".
func ProcessOwner() string { return owner(os.Getpid()) }

func owner(pid int) string {
	return fmt.Sprintf("%d:%s:%s", pid, bootID(), startTime(pid))
}

// OwnerAlive reports whether the process that wrote owner still runs.
func OwnerAlive(o string) bool {
	parts := strings.SplitN(o, ":", 3)
	if len(parts) != 3 {
		return false
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 {
		return false
	}
	if parts[1] != bootID() {
		return false // the machine rebooted since
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return parts[2] == startTime(pid)
}

// PIDOf is the pid part of an owner, for messages.
func PIDOf(o string) string {
	p, _, _ := strings.Cut(o, ":")
	return p
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "-"
	}
	return strings.TrimSpace(string(b))
}

// startTime is field 22 of /proc/PID/stat (clock ticks since boot), or
// "-" where /proc is missing.
func startTime(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "-"
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "-"
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "-"
	}
	return f[19]
}
