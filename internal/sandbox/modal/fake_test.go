package modal

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "github.com/modal-labs/libmodal/modal-go/proto/modal_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hermes-go/hermes/internal/sandbox"
)

// fakeModal is a Modal control plane on 127.0.0.1: the SDK's own gRPC
// service with only the RPCs the backend calls. It records every request
// and runs each exec as a local process: directly, with "/workspace" in
// argv and workdir rewritten to a temp folder, or under bubblewrap with
// that folder bound at /workspace and a private /tmp.
type fakeModal struct {
	pb.UnimplementedModalClientServer

	root        string // host folder standing for /workspace
	tmp         string // host folder standing for /tmp under bubblewrap
	bwrap       string // bubblewrap executable; "" runs execs directly
	groupLeader bool   // an exec's first process leads its own process group
	execErr     error  // when set, every ContainerExec fails with it

	mu         sync.Mutex
	calls      []call
	secrets    map[string]map[string]string
	execs      map[string]*fakeExec
	nextID     int
	terminated bool
}

// call is one recorded request.
type call struct {
	method string
	req    proto.Message
	md     metadata.MD
}

type fakeOption func(*fakeModal)

func withBwrap(p string) fakeOption  { return func(f *fakeModal) { f.bwrap = p } }
func noGroupLeader() fakeOption      { return func(f *fakeModal) { f.groupLeader = false } }
func withExecErr(e error) fakeOption { return func(f *fakeModal) { f.execErr = e } }

// startFake serves a fakeModal and points the SDK at it through
// MODAL_SERVER_URL (so the test cannot be parallel); HOME moves to a temp
// folder so no ~/.modal.toml is read.
func startFake(t testing.TB, opts ...fakeOption) *fakeModal {
	t.Helper()
	f := &fakeModal{
		root: t.TempDir(), tmp: t.TempDir(), groupLeader: true,
		secrets: map[string]map[string]string{}, execs: map[string]*fakeExec{},
	}
	for _, o := range opts {
		o(f)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(f.intercept))
	pb.RegisterModalClientServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() {
		f.killAll()
		srv.Stop()
	})
	t.Setenv("MODAL_SERVER_URL", "http://"+lis.Addr().String())
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"MODAL_PROFILE", "MODAL_ENVIRONMENT", "MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET"} {
		t.Setenv(k, "")
	}
	return f
}

func (f *fakeModal) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	f.record(ctx, info.FullMethod, req.(proto.Message))
	return h(ctx, req)
}

func (f *fakeModal) record(ctx context.Context, method string, req proto.Message) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{method: method[strings.LastIndexByte(method, '/')+1:], req: proto.Clone(req), md: md})
}

// requests returns the recorded requests of one method, in order.
func (f *fakeModal) requests(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeModal) allCalls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeModal) AuthTokenGet(context.Context, *pb.AuthTokenGetRequest) (*pb.AuthTokenGetResponse, error) {
	claims := fmt.Sprintf(`{"exp":%d}`, time.Now().Add(time.Hour).Unix())
	token := "e30." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".sig"
	return pb.AuthTokenGetResponse_builder{Token: token}.Build(), nil
}

func (f *fakeModal) AppGetOrCreate(_ context.Context, r *pb.AppGetOrCreateRequest) (*pb.AppGetOrCreateResponse, error) {
	return pb.AppGetOrCreateResponse_builder{AppId: "ap-" + r.GetAppName()}.Build(), nil
}

func (f *fakeModal) ImageGetOrCreate(context.Context, *pb.ImageGetOrCreateRequest) (*pb.ImageGetOrCreateResponse, error) {
	ok := pb.GenericResult_builder{Status: pb.GenericResult_GENERIC_STATUS_SUCCESS}.Build()
	return pb.ImageGetOrCreateResponse_builder{ImageId: "im-1", Result: ok}.Build(), nil
}

func (f *fakeModal) SecretGetOrCreate(_ context.Context, r *pb.SecretGetOrCreateRequest) (*pb.SecretGetOrCreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("st-%d", f.nextID)
	f.secrets[id] = r.GetEnvDict()
	return pb.SecretGetOrCreateResponse_builder{SecretId: id}.Build(), nil
}

func (f *fakeModal) SandboxCreate(context.Context, *pb.SandboxCreateRequest) (*pb.SandboxCreateResponse, error) {
	return pb.SandboxCreateResponse_builder{SandboxId: "sb-1"}.Build(), nil
}

func (f *fakeModal) SandboxGetLogs(r *pb.SandboxGetLogsRequest, s grpc.ServerStreamingServer[pb.TaskLogsBatch]) error {
	f.record(s.Context(), "SandboxGetLogs", r)
	return s.Send(pb.TaskLogsBatch_builder{Eof: true}.Build())
}

func (f *fakeModal) SandboxGetTaskId(context.Context, *pb.SandboxGetTaskIdRequest) (*pb.SandboxGetTaskIdResponse, error) {
	id := "ta-1"
	return pb.SandboxGetTaskIdResponse_builder{TaskId: &id}.Build(), nil
}

func (f *fakeModal) SandboxTerminate(context.Context, *pb.SandboxTerminateRequest) (*pb.SandboxTerminateResponse, error) {
	f.mu.Lock()
	f.terminated = true
	f.mu.Unlock()
	f.killAll()
	return pb.SandboxTerminateResponse_builder{}.Build(), nil
}

// killAll ends every exec's process tree, as terminating a sandbox does.
func (f *fakeModal) killAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.execs {
		if _, done, _, _ := e.snapshot(0, 0); done {
			continue // its pid may belong to someone else by now
		}
		pid := e.cmd.Process.Pid
		below := sandbox.Descendants(pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for _, p := range below {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
}

func (f *fakeModal) ContainerExec(_ context.Context, r *pb.ContainerExecRequest) (*pb.ContainerExecResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.execErr != nil {
		return nil, f.execErr
	}
	if f.terminated {
		return nil, status.Error(codes.FailedPrecondition, "sandbox terminated")
	}
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, id := range r.GetSecretIds() {
		for k, v := range f.secrets[id] {
			env = append(env, k+"="+v)
		}
	}
	e, err := f.startExec(r.GetCommand(), r.GetWorkdir(), env)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	f.nextID++
	id := fmt.Sprintf("ex-%d", f.nextID)
	f.execs[id] = e
	return pb.ContainerExecResponse_builder{ExecId: id}.Build(), nil
}

// startExec runs argv as the sandbox would.
func (f *fakeModal) startExec(argv []string, workdir string, env []string) (*fakeExec, error) {
	if workdir == "" {
		workdir = Workdir
	}
	var cmd *exec.Cmd
	if f.bwrap != "" {
		args := rootArgs()
		args = append(args, "--ro-bind", "/proc", "/proc", "--dev", "/dev", "--bind", f.root, Workdir,
			"--bind", f.tmp, "/tmp", "--chdir", workdir, "--die-with-parent", "--")
		cmd = exec.Command(f.bwrap, append(args, argv...)...)
	} else {
		local := make([]string, len(argv))
		for i, a := range argv {
			local[i] = strings.ReplaceAll(a, Workdir, f.root)
		}
		cmd = exec.Command(local[0], local[1:]...)
		cmd.Dir = strings.Replace(workdir, Workdir, f.root, 1)
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: f.groupLeader}
	e := &fakeExec{cmd: cmd, changed: make(chan struct{})}
	cmd.Stdout = fdWriter{e, 1}
	cmd.Stderr = fdWriter{e, 2}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	e.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go e.wait()
	return e, nil
}

func (f *fakeModal) exec(id string) (*fakeExec, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.execs[id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no exec %s", id)
	}
	return e, nil
}

func (f *fakeModal) ContainerExecPutInput(_ context.Context, r *pb.ContainerExecPutInputRequest) (*emptypb.Empty, error) {
	e, err := f.exec(r.GetExecId())
	if err != nil {
		return nil, err
	}
	if m := r.GetInput().GetMessage(); len(m) > 0 {
		_, _ = e.stdin.Write(m)
	}
	if r.GetInput().GetEof() {
		_ = e.stdin.Close()
	}
	return &emptypb.Empty{}, nil
}

func (f *fakeModal) ContainerExecGetOutput(r *pb.ContainerExecGetOutputRequest, s grpc.ServerStreamingServer[pb.RuntimeOutputBatch]) error {
	f.record(s.Context(), "ContainerExecGetOutput", r)
	e, err := f.exec(r.GetExecId())
	if err != nil {
		return err
	}
	fd := int(r.GetFileDescriptor())
	off := r.GetLastBatchIndex()
	for {
		data, done, code, changed := e.snapshot(fd, off)
		switch {
		case len(data) > 0:
			off += uint64(len(data))
			msg := pb.RuntimeOutputMessage_builder{FileDescriptor: r.GetFileDescriptor(), MessageBytes: data}.Build()
			if err := s.Send(pb.RuntimeOutputBatch_builder{Items: []*pb.RuntimeOutputMessage{msg}, BatchIndex: off}.Build()); err != nil {
				return err
			}
			continue
		case done:
			return s.Send(pb.RuntimeOutputBatch_builder{BatchIndex: off, ExitCode: &code}.Build())
		}
		select {
		case <-changed:
		case <-s.Context().Done():
			return s.Context().Err()
		}
	}
}

func (f *fakeModal) ContainerExecWait(ctx context.Context, r *pb.ContainerExecWaitRequest) (*pb.ContainerExecWaitResponse, error) {
	e, err := f.exec(r.GetExecId())
	if err != nil {
		return nil, err
	}
	limit := time.After(time.Duration(r.GetTimeout() * float32(time.Second)))
	for {
		_, done, code, changed := e.snapshot(0, 0)
		if done {
			return pb.ContainerExecWaitResponse_builder{Completed: true, ExitCode: &code}.Build(), nil
		}
		select {
		case <-changed:
		case <-limit:
			return pb.ContainerExecWaitResponse_builder{}.Build(), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// fakeExec is one exec's local process and the output it wrote.
type fakeExec struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu      sync.Mutex
	out     [3][]byte
	changed chan struct{} // closed and replaced on every change
	done    bool
	code    int32
}

type fdWriter struct {
	e  *fakeExec
	fd int
}

func (w fdWriter) Write(p []byte) (int, error) {
	w.e.mu.Lock()
	defer w.e.mu.Unlock()
	w.e.out[w.fd] = append(w.e.out[w.fd], p...)
	w.e.notify()
	return len(p), nil
}

func (e *fakeExec) notify() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *fakeExec) wait() {
	_ = e.cmd.Wait()
	ws := e.cmd.ProcessState.Sys().(syscall.WaitStatus)
	code := int32(ws.ExitStatus())
	if ws.Signaled() {
		code = 128 + int32(ws.Signal())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.done, e.code = true, code
	e.notify()
}

// snapshot returns fd's output past off, whether the process has ended and
// its status, and a channel closed on the next change.
func (e *fakeExec) snapshot(fd int, off uint64) ([]byte, bool, int32, chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var data []byte
	if fd > 0 && fd < len(e.out) && off < uint64(len(e.out[fd])) {
		data = append([]byte(nil), e.out[fd][off:]...)
	}
	return data, e.done, e.code, e.changed
}

// hostPath is where a /workspace path lives on the host.
func (f *fakeModal) hostPath(p string) string {
	return filepath.Join(f.root, strings.TrimPrefix(p, Workdir))
}

// rootArgs give a bubblewrap sandbox the host's system folders read-only
// on its own root, where /workspace and /tmp can be mount points.
func rootArgs() []string {
	var args []string
	for _, d := range []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				args = append(args, "--symlink", target, d)
			}
		default:
			args = append(args, "--ro-bind", d, d)
		}
	}
	return args
}
