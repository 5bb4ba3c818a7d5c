//go:build unix

package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// KillGrace is how long a process tree gets between SIGTERM and SIGKILL.
const KillGrace = 2 * time.Second

// Descendants returns the pids of every process below pid: its children,
// their children, and so on, read from /proc (empty where there is none).
func Descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := ParentPid(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// ParentPid returns the parent of pid, read from /proc/<pid>/stat.
func ParentPid(pid int) (int, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(string(f[1]))
	return pp, err == nil
}

// Comm returns the command name of pid (/proc/<pid>/comm), or "".
func Comm(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}

// KillDescendants sends SIGTERM to every process below pid (not pid
// itself) and SIGKILL to those still there after KillGrace. It returns at
// once; the SIGKILL comes from a timer and spares processes that started
// after the call (the next command of a persistent shell).
func KillDescendants(pid int) {
	pids := Descendants(pid)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	if len(pids) == 0 {
		return
	}
	time.AfterFunc(KillGrace, func() {
		still := map[int]bool{}
		for _, p := range Descendants(pid) {
			still[p] = true
		}
		for _, p := range pids {
			if still[p] {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
}
