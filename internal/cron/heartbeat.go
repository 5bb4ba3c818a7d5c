package cron

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// HeartbeatFile is <home>/cron/heartbeat.json: the pid of the process
// running the scheduler (hermes cron daemon, or a gateway) and its last
// tick. `hermes doctor` reports a stale one while jobs are enabled.
const HeartbeatFile = "heartbeat.json"

// Heartbeat is the content of HeartbeatFile.
type Heartbeat struct {
	PID  int       `json:"pid"`
	Tick time.Time `json:"last_tick"`
}

// WriteHeartbeat records a tick of this process's scheduler in dir (the
// home's cron folder).
func WriteHeartbeat(dir string, t time.Time) error {
	data, _ := json.Marshal(Heartbeat{PID: os.Getpid(), Tick: t.UTC()})
	return fileutil.WriteFile(filepath.Join(dir, HeartbeatFile), data, 0o600)
}

// ReadHeartbeat reads the heartbeat in dir; a missing file is an error
// satisfying errors.Is(err, fs.ErrNotExist).
func ReadHeartbeat(dir string) (Heartbeat, error) {
	var hb Heartbeat
	path := filepath.Join(dir, HeartbeatFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return hb, err
	}
	if err := json.Unmarshal(data, &hb); err != nil {
		return hb, fmt.Errorf("%s: %w", path, err)
	}
	return hb, nil
}
