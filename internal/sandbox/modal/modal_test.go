package modal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pb "github.com/modal-labs/libmodal/modal-go/proto/modal_proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/hermes-go/hermes/internal/config"
	"github.com/hermes-go/hermes/internal/sandbox"
)

const (
	testImage  = "python:3.12-slim"
	testID     = "ak-test-id"
	testSecret = "as-test-secret"
)

// testOptions is a modal configuration with credentials in the home's .env
// and a parent environment that holds a kept variable, a provider key, a
// Modal token and host-only variables.
func testOptions(t testing.TB) sandbox.Options {
	t.Helper()
	home := t.TempDir()
	writeEnv(t, home, "MODAL_TOKEN_ID="+testID+"\nMODAL_TOKEN_SECRET="+testSecret+"\nHERMES_PASSED=from-dotenv\n")
	return sandbox.Options{
		Terminal: config.Terminal{Backend: "modal", EnvPassthrough: []string{"HERMES_PASSED", "OPENAI_API_KEY"},
			Modal: config.Modal{Image: testImage, App: "hermes-test", CPUs: 2, MemoryMB: 1024, Timeout: config.Duration(10 * time.Minute)}},
		Workspace: t.TempDir(),
		HomeDir:   home,
		Env: []string{"PATH=/host/bin", "HOME=/host/home", "HERMES_KEEP=kept-value",
			"OPENAI_API_KEY=sk-must-not-leak", "MODAL_TOKEN_ID=ak-env-id", "MODAL_SERVER_URL=http://elsewhere"},
	}
}

func writeEnv(t testing.TB, home, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, config.EnvFileName), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// open builds the backend through the sandbox registry and closes it at
// the end of the test.
func open(t testing.TB, o sandbox.Options) *Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := sandbox.New(ctx, o)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b.(*Backend)
}

func run(t *testing.T, b *Backend, s sandbox.Spec) *sandbox.Result {
	t.Helper()
	res, err := b.Run(context.Background(), s)
	if err != nil {
		t.Fatalf("run %q: %v", s.Command, err)
	}
	return res
}

// userExecs are the ContainerExec requests that ran a command through the
// wrapper, in order.
func userExecs(f *fakeModal) []*pb.ContainerExecRequest {
	var out []*pb.ContainerExecRequest
	for _, c := range f.requests("ContainerExec") {
		r := c.req.(*pb.ContainerExecRequest)
		if cmd := r.GetCommand(); len(cmd) == 5 && cmd[2] == wrapper {
			out = append(out, r)
		}
	}
	return out
}

func TestNewSendsTheConfiguration(t *testing.T) {
	f := startFake(t)
	b := open(t, testOptions(t))

	apps := f.requests("AppGetOrCreate")
	if len(apps) != 1 {
		t.Fatalf("%d AppGetOrCreate requests, want 1", len(apps))
	}
	app := apps[0].req.(*pb.AppGetOrCreateRequest)
	if app.GetAppName() != "hermes-test" || app.GetObjectCreationType() != pb.ObjectCreationType_OBJECT_CREATION_TYPE_CREATE_IF_MISSING {
		t.Errorf("app request: name %q, creation %v; want hermes-test, create if missing", app.GetAppName(), app.GetObjectCreationType())
	}
	images := f.requests("ImageGetOrCreate")
	if len(images) != 1 {
		t.Fatalf("%d ImageGetOrCreate requests, want 1", len(images))
	}
	img := images[0].req.(*pb.ImageGetOrCreateRequest)
	if got := img.GetImage().GetDockerfileCommands(); !slices.Equal(got, []string{"FROM " + testImage}) || img.GetAppId() != "ap-hermes-test" {
		t.Errorf("image request: commands %q in app %q; want FROM %s in ap-hermes-test", got, img.GetAppId(), testImage)
	}
	creates := f.requests("SandboxCreate")
	if len(creates) != 1 {
		t.Fatalf("%d SandboxCreate requests, want 1", len(creates))
	}
	cr := creates[0].req.(*pb.SandboxCreateRequest)
	def := cr.GetDefinition()
	checks := []struct {
		what      string
		got, want any
	}{
		{"app id", cr.GetAppId(), "ap-hermes-test"},
		{"image id", def.GetImageId(), "im-1"},
		{"milli cpu", def.GetResources().GetMilliCpu(), uint32(2000)},
		{"memory mb", def.GetResources().GetMemoryMb(), uint32(1024)},
		{"timeout secs", def.GetTimeoutSecs(), uint32(600)},
		{"workdir", def.GetWorkdir(), Workdir},
		{"network", def.GetNetworkAccess().GetNetworkAccessType(), pb.NetworkAccess_BLOCKED},
		{"secrets", len(def.GetSecretIds()), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("sandbox %s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if b.SandboxID() != "sb-1" || b.AppID() != "ap-hermes-test" || b.Name() != "modal" || b.Workspace() != Workdir {
		t.Errorf("backend: sandbox %q app %q name %q workspace %q", b.SandboxID(), b.AppID(), b.Name(), b.Workspace())
	}
	// The readiness exec ran before New returned.
	if n := len(f.requests("ContainerExec")); n != 1 {
		t.Errorf("%d execs after New, want the one readiness exec", n)
	}
}

func TestCredentialsOnlyInHeaders(t *testing.T) {
	f := startFake(t)
	b := open(t, testOptions(t))
	run(t, b, sandbox.Spec{Command: "true"})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.allCalls() {
		if got := c.md.Get("x-modal-token-id"); !slices.Equal(got, []string{testID}) {
			t.Errorf("%s: token id header %q, want the .env's %q over the environment's", c.method, got, testID)
		}
		if got := c.md.Get("x-modal-token-secret"); !slices.Equal(got, []string{testSecret}) {
			t.Errorf("%s: token secret header %q", c.method, got)
		}
		body, err := proto.Marshal(c.req)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{testID, testSecret, "ak-env-id", "sk-must-not-leak", "http://elsewhere", "/host/bin"} {
			if strings.Contains(string(body), v) {
				t.Errorf("%s request carries %q", c.method, v)
			}
		}
	}
}

func TestCreateParamsDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   config.Modal
		want [3]any // cpu, memory, timeout
	}{
		{"zero values", config.Modal{}, [3]any{1.0, 5120, time.Hour}},
		{"configured", config.Modal{CPUs: 0.5, MemoryMB: 256, Timeout: config.Duration(2 * time.Minute), Network: true}, [3]any{0.5, 256, 2 * time.Minute}},
		{"negative", config.Modal{CPUs: -1, MemoryMB: -5, Timeout: config.Duration(-time.Second)}, [3]any{1.0, 5120, time.Hour}},
	}
	for _, c := range cases {
		p := createParams(c.in)
		if got := [3]any{p.CPU, p.MemoryMiB, p.Timeout}; got != c.want || p.Workdir != Workdir {
			t.Errorf("%s: %v in %q, want %v in %s", c.name, got, p.Workdir, c.want, Workdir)
		}
		if p.BlockNetwork != !c.in.Network {
			t.Errorf("%s: BlockNetwork %v with network %v", c.name, p.BlockNetwork, c.in.Network)
		}
	}
}

func TestDefaultApp(t *testing.T) {
	f := startFake(t)
	o := testOptions(t)
	o.Terminal.Modal.App = ""
	open(t, o)
	apps := f.requests("AppGetOrCreate")
	if len(apps) != 1 || apps[0].req.(*pb.AppGetOrCreateRequest).GetAppName() != DefaultApp {
		t.Fatalf("app requests %v, want one for %q", apps, DefaultApp)
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		dotenv     string
		env        []string
		id, secret string
		missing    []string
	}{
		{"dotenv", "MODAL_TOKEN_ID=a\nMODAL_TOKEN_SECRET=b\n", nil, "a", "b", nil},
		{"environment", "", []string{"MODAL_TOKEN_ID=c", "MODAL_TOKEN_SECRET=d"}, "c", "d", nil},
		{"dotenv wins", "MODAL_TOKEN_ID=a\n", []string{"MODAL_TOKEN_ID=c", "MODAL_TOKEN_SECRET=d"}, "a", "d", nil},
		{"last environment entry wins", "", []string{"MODAL_TOKEN_ID=c", "MODAL_TOKEN_SECRET=d", "MODAL_TOKEN_ID=e"}, "e", "d", nil},
		{"empty is missing", "MODAL_TOKEN_ID=\n", []string{"MODAL_TOKEN_SECRET="}, "", "", []string{EnvTokenID, EnvTokenSecret}},
		{"secret missing", "MODAL_TOKEN_ID=a\n", []string{"MODAL_TOKEN_SECRETX=d"}, "", "", []string{EnvTokenSecret}},
		{"nothing", "", []string{"OTHER=1"}, "", "", []string{EnvTokenID, EnvTokenSecret}},
		{"whitespace inside", "MODAL_TOKEN_ID=\"ak 1\"\n", []string{"MODAL_TOKEN_SECRET=d"}, "", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			writeEnv(t, home, c.dotenv)
			id, secret, err := Credentials(home, c.env)
			if c.id == "" && len(c.missing) == 0 {
				if err == nil || errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "copy the token again") {
					t.Fatalf("got %q, %q, %v; want a malformed-token error", id, secret, err)
				}
				return
			}
			if len(c.missing) == 0 {
				if err != nil || id != c.id || secret != c.secret {
					t.Fatalf("got %q, %q, %v; want %q, %q", id, secret, err, c.id, c.secret)
				}
				return
			}
			if !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("got %q, %q, %v; want ErrNoCredentials", id, secret, err)
			}
			msg := err.Error()
			for _, want := range append([]string{EnvTokenID, EnvTokenSecret, "hermes config", filepath.Join(home, ".env")}, c.missing...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	f := startFake(t)
	noCreds := testOptions(t)
	writeEnv(t, noCreds.HomeDir, "")
	noCreds.Env = []string{"MODAL_TOKEN_ID=only-the-id"}
	noImage := testOptions(t)
	noImage.Terminal.Modal.Image = ""
	for _, c := range []struct {
		name string
		o    sandbox.Options
		want string
	}{
		{"missing credentials", noCreds, "MODAL_TOKEN_SECRET not set"},
		{"missing image", noImage, "terminal.modal.image is empty"},
	} {
		_, err := sandbox.New(context.Background(), c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	if calls := f.allCalls(); len(calls) != 0 {
		t.Errorf("a refused configuration still called Modal: %d requests", len(calls))
	}
}

func TestNewTerminatesAnUnusableSandbox(t *testing.T) {
	f := startFake(t, withExecErr(status.Error(codes.FailedPrecondition, "task failed to start")))
	_, err := sandbox.New(context.Background(), testOptions(t))
	if err == nil || !strings.Contains(err.Error(), "sb-1 did not start") || !strings.Contains(err.Error(), "task failed to start") {
		t.Fatalf("new: %v, want the sandbox's start failure", err)
	}
	if n := len(f.requests("SandboxTerminate")); n != 1 {
		t.Errorf("%d SandboxTerminate requests, want 1", n)
	}
}
