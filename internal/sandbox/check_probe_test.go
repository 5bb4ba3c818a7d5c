package sandbox

import (
	"os"
	"testing"
)

// The host-write probe must write outside the workspace: a sandbox may
// write the workspace by design, so a workspace of /tmp (hermes started
// in /tmp) reported a false FAIL.
func TestHostProbeDirOutsideWorkspace(t *testing.T) {
	t.Parallel()
	for _, ws := range []string{"", os.TempDir(), "/", t.TempDir()} {
		d := hostProbeDir(ws)
		if ws != "" && ws != "/" && pathWithin(d, ws) {
			t.Errorf("workspace %q: probe dir %q is inside it", ws, d)
		}
	}
	if !pathWithin("/tmp/a", "/tmp") || pathWithin("/tmpx", "/tmp") || pathWithin("/", "/tmp") {
		t.Error("pathWithin is wrong")
	}
}
