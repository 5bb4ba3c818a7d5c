package update

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hermes")
	writeBin(t, p, "#!/bin/sh\n"+body+"\n")
	return p
}

func TestBinarySteps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := Binary{Env: append(os.Environ(), "X_MARK=1"), Args: []string{"--profile", "work"}, Timeout: 2 * time.Second}
	tests := []struct {
		name, body, wantErr string
		call                func(string) error
	}{
		{"doctor failures are a report", `echo '{"ok":false,"checks":[{"name":"a","status":"fail","message":"m"}],"failures":1}'; exit 1`, "",
			func(bin string) error {
				r, err := b.Doctor(ctx, bin)
				if err == nil && (len(r.Failed()) != 1 || r.Failed()[0].Name != "a") {
					t.Errorf("report %+v", r)
				}
				return err
			}},
		{"doctor crash", `kill -SEGV $$`, "crashed", func(bin string) error { _, err := b.Doctor(ctx, bin); return err }},
		{"doctor exit 2", `echo 'unknown command "doctor"' >&2; exit 2`, `exited with status 2: unknown command "doctor"`,
			func(bin string) error { _, err := b.Doctor(ctx, bin); return err }},
		{"doctor prints junk", `echo hello`, "printed no report", func(bin string) error { _, err := b.Doctor(ctx, bin); return err }},
		{"doctor hangs", `exec sleep 30`, "did not finish within 2s", func(bin string) error { _, err := b.Doctor(ctx, bin); return err }},
		{"args and env reach the child", `[ "$*" = "--profile work version --json" ] && [ "$X_MARK" = 1 ] && echo '{"version":"v9"}'`, "",
			func(bin string) error {
				v, err := b.Version(ctx, bin)
				if err == nil && v.Version != "v9" {
					t.Errorf("version %+v", v)
				}
				return err
			}},
		{"backup without a path", `echo '{}'`, "no backup path", func(bin string) error { _, err := b.Backup(ctx, bin, 5); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call(script(t, tt.body))
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}
