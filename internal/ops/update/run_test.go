package update

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hermes-go/hermes/internal/fileutil"
)

// fakeSteps stands for hermes binaries whose file content is their
// version ("v1"); content "crash" fails to start. The gateway is a
// record of which version it was last started with.
type fakeSteps struct {
	mu        sync.Mutex
	health    string            // a /healthz address that answers 200
	doctor    map[string]string // version -> failing check names, comma separated; "crash" crashes
	gwFails   map[string]bool   // versions whose gateway does not come up
	gwVersion string
	calls     []string
	backups   int
}

func (f *fakeSteps) log(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }

func (f *fakeSteps) ver(bin string) (string, error) {
	b, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	if string(b) == "crash" {
		return "", errors.New("hermes version crashed (signal: segmentation fault)")
	}
	return string(b), nil
}

func (f *fakeSteps) Version(_ context.Context, bin string) (BinaryInfo, error) {
	v, err := f.ver(bin)
	f.log("version " + v)
	return BinaryInfo{Version: v}, err
}

func (f *fakeSteps) Backup(_ context.Context, bin string, keep int) (BackupResult, error) {
	v, _ := f.ver(bin)
	f.log(fmt.Sprintf("backup %s keep %d", v, keep))
	f.backups++
	return BackupResult{Path: "/b.zip", Files: 3, Size: 10, SHA256: "ab"}, nil
}

func (f *fakeSteps) Doctor(_ context.Context, bin string) (DoctorReport, error) {
	v, err := f.ver(bin)
	if err != nil {
		return DoctorReport{}, err
	}
	f.log("doctor " + v)
	rep := DoctorReport{Checks: []DoctorCheck{{Name: "home", Status: "ok"}}}
	switch spec := f.doctor[v]; spec {
	case "crash":
		return rep, errors.New("hermes doctor --json crashed")
	case "":
	default:
		for _, n := range strings.Split(spec, ",") {
			rep.Checks = append(rep.Checks, DoctorCheck{Name: n, Status: "fail", Message: n + " is broken"})
			rep.Failures++
		}
	}
	rep.OK = rep.Failures == 0
	return rep, nil
}

func (f *fakeSteps) GatewayRestart(_ context.Context, bin string) error {
	v, err := f.ver(bin)
	if err != nil {
		return err
	}
	f.log("gateway restart " + v)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gwFails[v] {
		f.gwVersion = ""
		return errors.New("the gateway exited at start (exit status 1)")
	}
	f.gwVersion = v
	return nil
}

func (f *fakeSteps) GatewayStatus(context.Context, string) (GatewayStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return GatewayStatus{Running: f.gwVersion != "", PID: 42, Health: f.health, Version: f.gwVersion}, nil
}

type fixture struct {
	o     Options
	steps *fakeSteps
	bin   string
	log   *strings.Builder
}

// newFixture installs "v1" and serves release "v2" (body) on loopback.
func newFixture(t *testing.T, body string, gateway bool) *fixture {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "hermes")
	os.MkdirAll(filepath.Dir(bin), 0o755)
	writeBin(t, bin, "v1")
	url := releaseServer(t, map[string]string{"VERSION": "v2\n", "SHA256SUMS": sumOf(body) + "  " + AssetName() + "\n", AssetName(): body})
	health := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(health.Close)
	steps := &fakeSteps{health: strings.TrimPrefix(health.URL, "http://"), doctor: map[string]string{}, gwFails: map[string]bool{}}
	homeDir := filepath.Join(dir, "home")
	os.MkdirAll(homeDir, 0o700)
	if gateway {
		steps.gwVersion = "v1"
		lock, err := fileutil.LockFile(context.Background(), filepath.Join(homeDir, "gateway.pid"), fileutil.LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lock.Unlock() })
	}
	log := &strings.Builder{}
	o := Options{Binary: bin, Home: homeDir, Method: MethodRelease, URL: url, Steps: steps,
		Log: func(format string, args ...any) { fmt.Fprintf(log, format+"\n", args...) }}
	return &fixture{o: o, steps: steps, bin: bin, log: log}
}

func (fx *fixture) run(t *testing.T) (*Plan, *Result, error) {
	t.Helper()
	p, err := Check(context.Background(), fx.o)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	res, err := Run(context.Background(), fx.o, p)
	return p, res, err
}

func TestCheckReports(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, "v2", true)
	p, err := Check(context.Background(), fx.o)
	if err != nil {
		t.Fatal(err)
	}
	if p.Method != MethodRelease || p.Current.Version != "v1" || p.Available != "v2" || p.UpToDate || !p.Gateway {
		t.Fatalf("plan %+v", p)
	}
	if s := strings.Join(p.Steps, "\n"); !strings.Contains(s, "back up") || !strings.Contains(s, "verify its SHA-256") || !strings.Contains(s, "restart the running gateway") {
		t.Fatalf("steps:\n%s", s)
	}
	if readBin(t, fx.bin) != "v1" || fx.steps.backups != 0 {
		t.Fatal("check changed something")
	}
	writeBin(t, fx.bin, "v2")
	if p, err := Check(context.Background(), fx.o); err != nil || !p.UpToDate {
		t.Fatalf("same version: %+v %v", p, err)
	}
}

func TestRunUpdatesAndRestartsGateway(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, "v2", true)
	fx.steps.doctor["v1"] = "memory"
	fx.steps.doctor["v2"] = "memory" // failing before too: reported, not blocking
	_, res, err := fx.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, fx.log)
	}
	if readBin(t, fx.bin) != "v2" || readBin(t, Prev(fx.bin)) != "v1" {
		t.Fatal("not swapped")
	}
	if res.From.Version != "v1" || res.To.Version != "v2" || res.GatewayPID != 42 || res.Backup == nil || fx.steps.gwVersion != "v2" {
		t.Fatalf("result %+v, gateway on %q", res, fx.steps.gwVersion)
	}
	want := []string{"version v1", "backup v1 keep 5", "doctor v1", "version v2", "doctor v2", "version v2", "gateway restart v2", "doctor v2"}
	if got := strings.Join(fx.steps.calls, "|"); got != strings.Join(want, "|") {
		t.Fatalf("calls\n got %s\nwant %s", got, strings.Join(want, "|"))
	}
	for _, s := range []string{"backup: /b.zip", "checksum verified", "not blocking", "memory is broken", "gateway healthy on v2"} {
		if !strings.Contains(fx.log.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, fx.log)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(fx.bin))
	if len(entries) != 2 {
		t.Errorf("leftovers beside the binary: %v", entries)
	}
}

func TestRunRefusesBeforeSwap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantErr string
		setup               func(*fakeSteps)
	}{
		{"new binary does not start", "crash", "does not start", nil},
		{"doctor crashes", "v2", "doctor failed", func(f *fakeSteps) { f.doctor["v2"] = "crash" }},
		{"new doctor failure", "v2", "new failure(s):\n  ✗ config: config is broken", func(f *fakeSteps) { f.doctor["v1"] = "memory"; f.doctor["v2"] = "memory,config" }},
		{"doctor of the old one did not run", "v2", "new failure(s)", func(f *fakeSteps) { f.doctor["v1"] = "crash"; f.doctor["v2"] = "memory" }},
		{"binary is not the released version", "v3", "VERSION says v2 but its binary is v3", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, tt.body, true)
			if tt.setup != nil {
				tt.setup(fx.steps)
			}
			_, _, err := fx.run(t)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "not changed") {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if readBin(t, fx.bin) != "v1" || fx.steps.gwVersion != "v1" {
				t.Fatal("the binary or the gateway changed")
			}
			if _, err := os.Stat(Prev(fx.bin)); !os.IsNotExist(err) {
				t.Fatal(".prev written by a refused update")
			}
			entries, _ := os.ReadDir(filepath.Dir(fx.bin))
			if len(entries) != 1 {
				t.Errorf("leftovers beside the binary: %v", entries)
			}
		})
	}
}

func TestRunRollsBackWhenGatewayFails(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, "v2", true)
	fx.steps.gwFails["v2"] = true
	_, _, err := fx.run(t)
	var rb *RolledBack
	if !errors.As(err, &rb) || rb.Rollback != nil || !strings.Contains(rb.Cause.Error(), "gateway restart") {
		t.Fatalf("err %v\n%s", err, fx.log)
	}
	if readBin(t, fx.bin) != "v1" || fx.steps.gwVersion != "v1" {
		t.Fatalf("after rollback: binary %q, gateway on %q", readBin(t, fx.bin), fx.steps.gwVersion)
	}
	if !strings.Contains(fx.log.String(), "gateway healthy on v1 again") {
		t.Errorf("log:\n%s", fx.log)
	}
}

func TestRunRollbackFailureIsReported(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, "v2", true)
	fx.steps.gwFails["v1"], fx.steps.gwFails["v2"] = true, true
	_, _, err := fx.run(t)
	var rb *RolledBack
	if !errors.As(err, &rb) || rb.Rollback == nil || !strings.Contains(err.Error(), "rollback failed too") {
		t.Fatalf("err %v", err)
	}
	if readBin(t, fx.bin) != "v1" {
		t.Fatal("the previous binary was not restored")
	}
}

func TestManualRollback(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, "v2", true)
	if _, err := Rollback(context.Background(), fx.o); err == nil || !strings.Contains(err.Error(), "hermes.prev") {
		t.Fatalf("without .prev: %v", err)
	}
	if _, _, err := fx.run(t); err != nil {
		t.Fatal(err)
	}
	info, err := Rollback(context.Background(), fx.o)
	if err != nil || info.Version != "v1" || readBin(t, fx.bin) != "v1" || readBin(t, Prev(fx.bin)) != "v2" || fx.steps.gwVersion != "v1" {
		t.Fatalf("rollback: %+v %v, gateway on %q", info, err, fx.steps.gwVersion)
	}
}

func TestNoBackupAndNoGateway(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, "v2", false)
	fx.o.NoBackup = true
	if _, res, err := fx.run(t); err != nil || res.GatewayPID != 0 || res.Backup != nil || fx.steps.backups != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, c := range fx.steps.calls {
		if strings.HasPrefix(c, "gateway") {
			t.Fatalf("gateway touched without one running: %v", fx.steps.calls)
		}
	}
}

func TestPickMethod(t *testing.T) {
	t.Parallel()
	_, checkout := repos(t)
	gone := filepath.Join(t.TempDir(), "gone")
	tests := []struct {
		method, source, recorded string
		want, wantErr            string
	}{
		{"", "", "", MethodRelease, ""},
		{"auto", "", checkout, MethodGit, ""},
		{"auto", checkout, "", MethodGit, ""},
		{"auto", "", gone, MethodRelease, ""},
		{"auto", gone, "", "", "not a hermes checkout"},
		{"git", "", "", "", "no checkout is known"},
		{"release", checkout, checkout, MethodRelease, ""},
		{"svn", "", "", "", "use auto, git or release"},
	}
	for _, tt := range tests {
		got, _, _, err := pickMethod(Options{Method: tt.method, Source: tt.source}, BinaryInfo{Source: tt.recorded})
		if got != tt.want || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%+v: got %q %v", tt, got, err)
		}
	}
}
