package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/ops/update"
)

// fakeHermes is a shell script that answers the commands hermes update
// asks of a binary, as version ver, and logs each call.
func fakeHermes(ver, doctorFail string) string {
	checks := `{"name":"home","status":"ok","message":"fine"}`
	failures := 0
	if doctorFail != "" {
		checks += `,{"name":"` + doctorFail + `","status":"fail","message":"broken","fix":"mend it"}`
		failures = 1
	}
	return fmt.Sprintf(`#!/bin/sh
echo "%[1]s $*" >> "$HERMES_HOME/calls"
case "$*" in
*"version --json"*) echo '{"version":"%[1]s","go":"1","platform":"x"}' ;;
*"backup --keep 5 --json"*) echo 'progress...'; echo '{"path":"'"$HERMES_HOME"'/b.zip","size":10,"files":2,"sha256":"ab"}' ;;
*"doctor --json"*) echo '{"ok":%[4]v,"checks":[%[2]s],"failures":%[3]d,"warnings":0}'; [ %[3]d = 0 ] || exit 1 ;;
*"gateway status --json"*) echo '{"running":false}' ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac
`, ver, checks, failures, failures == 0)
}

// releaseDir serves files on loopback.
func releaseDir(t *testing.T, files map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type updateFixture struct {
	home, bin string
}

// newUpdateFixture installs v1 as a fake binary and serves a v2 release.
func newUpdateFixture(t *testing.T, v2 string) updateFixture {
	t.Helper()
	home := t.TempDir()
	bin := filepath.Join(t.TempDir(), "hermes")
	writeFile(t, bin, fakeHermes("v1", ""), 0o755)
	sum := sha256.Sum256([]byte(v2))
	asset := "hermes-" + runtime.GOOS + "-" + runtime.GOARCH
	url := releaseDir(t, map[string]string{"VERSION": "v2\n", "SHA256SUMS": hex.EncodeToString(sum[:]) + "  " + asset + "\n", asset: v2})
	writeFile(t, filepath.Join(home, "config.yaml"), "update:\n  method: release\n  url: "+url+"\n", 0o600)
	return updateFixture{home: home, bin: bin}
}

func (f updateFixture) calls(t *testing.T) string {
	b, _ := os.ReadFile(filepath.Join(f.home, "calls"))
	return string(b)
}

func TestUpdateCheck(t *testing.T) {
	t.Parallel()
	f := newUpdateFixture(t, fakeHermes("v2", ""))
	r := hermes(t, f.home, nil, "update", "--check", "--binary", f.bin)
	if r.code != 0 || !strings.Contains(r.stdout, "installed: hermes v1") || !strings.Contains(r.stdout, "available: hermes v2") ||
		!strings.Contains(r.stdout, "verify its SHA-256") {
		t.Fatalf("%+v", r)
	}
	r = hermes(t, f.home, nil, "update", "--check", "--json", "--binary", f.bin)
	var p update.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Available != "v2" || p.Current.Version != "v1" || p.Method != "release" || p.UpToDate {
		t.Fatalf("json %v: %+v", err, r)
	}
	if strings.Contains(f.calls(t), "backup") {
		t.Fatal("--check backed up")
	}
	// Not a terminal and no --yes: refused, nothing changed.
	r = hermes(t, f.home, nil, "update", "--binary", f.bin)
	if r.code != 1 || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("non-interactive: %+v", r)
	}
	if b, _ := os.ReadFile(f.bin); !strings.Contains(string(b), `"v1"`) {
		t.Fatal("binary replaced without confirmation")
	}
}

func TestUpdateYesReplacesAndRollsBack(t *testing.T) {
	t.Parallel()
	f := newUpdateFixture(t, fakeHermes("v2", ""))
	r := hermes(t, f.home, nil, "update", "--yes", "--binary", f.bin)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	for _, s := range []string{"update: backup: " + f.home + "/b.zip", "update: checksum verified", "update: installed", "update: updated hermes v1 -> v2"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, r.stdout)
		}
	}
	calls := f.calls(t)
	for _, s := range []string{"v1 --profile default backup --keep 5 --json", "v2 --profile default doctor --json"} {
		if !strings.Contains(calls, s) {
			t.Errorf("calls lack %q:\n%s", s, calls)
		}
	}
	if log, _ := os.ReadFile(filepath.Join(f.home, "logs", "update.log")); !strings.Contains(string(log), "updated hermes v1 -> v2") {
		t.Errorf("update.log: %q", log)
	}
	if b, _ := os.ReadFile(update.Prev(f.bin)); !strings.Contains(string(b), `"v1"`) {
		t.Fatal("no .prev")
	}
	r = hermes(t, f.home, nil, "update", "--check", "--binary", f.bin)
	if r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Fatalf("after update: %+v", r)
	}
	r = hermes(t, f.home, nil, "update", "--rollback", "--yes", "--binary", f.bin)
	if r.code != 0 || !strings.Contains(r.stdout, "rolled back to hermes v1") {
		t.Fatalf("rollback: %+v", r)
	}
	if b, _ := os.ReadFile(f.bin); !strings.Contains(string(b), `"v1"`) {
		t.Fatal("rollback did not restore v1")
	}
}

func TestUpdateRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, v2, want string
	}{
		{"new doctor failure", fakeHermes("v2", "config"), "new failure(s):\n  ✗ config: broken (fix: mend it)"},
		{"new binary broken", "#!/bin/sh\nexit 3\n", "the new binary does not start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newUpdateFixture(t, tt.v2)
			r := hermes(t, f.home, nil, "update", "--yes", "--binary", f.bin)
			if r.code != 1 || !strings.Contains(r.stdout, tt.want) || !strings.Contains(r.stdout, "not changed") {
				t.Fatalf("%+v", r)
			}
			if _, err := os.Stat(update.Prev(f.bin)); !os.IsNotExist(err) {
				t.Fatal("swapped anyway")
			}
		})
	}
	f := newUpdateFixture(t, fakeHermes("v2", ""))
	if r := hermes(t, f.home, nil, "update", "--rollback", "--yes", "--binary", f.bin); r.code != 1 || !strings.Contains(r.stderr, "hermes.prev") {
		t.Fatalf("rollback without .prev: %+v", r)
	}
	if r := hermes(t, f.home, nil, "update", "--json"); r.code != 2 {
		t.Fatalf("--json without --check: %+v", r)
	}
	writeFile(t, filepath.Join(f.home, "config.yaml"), "update:\n  url: http://example.com/rel\n  method: release\n", 0o600)
	if r := hermes(t, f.home, nil, "update", "--check", "--binary", f.bin); r.code != 1 || !strings.Contains(r.stderr, "only https") {
		t.Fatalf("plain http: %+v", r)
	}
}
