package modal

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
)

// FuzzWorkingDir checks that every Spec.Dir becomes an absolute, clean
// path, and that a relative one without ".." stays in the workspace.
func FuzzWorkingDir(f *testing.F) {
	for _, s := range []string{"", ".", "sub dir", "/tmp", "a/../../etc", "//x//", "../..", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dir string) {
		got := workingDir(dir)
		if !path.IsAbs(got) || path.Clean(got) != got {
			t.Fatalf("workingDir(%q) = %q: not absolute and clean", dir, got)
		}
		if !path.IsAbs(dir) && !strings.Contains(dir, "..") && got != Workdir && !strings.HasPrefix(got, Workdir+"/") {
			t.Fatalf("workingDir(%q) = %q: left the workspace", dir, got)
		}
	})
}

// FuzzCredentials feeds arbitrary .env files to Credentials: it either
// returns both tokens, non-empty and on one line, or an error, never a
// half answer.
func FuzzCredentials(f *testing.F) {
	for _, s := range []string{
		"MODAL_TOKEN_ID=ak-1\nMODAL_TOKEN_SECRET=as-1\n",
		"export MODAL_TOKEN_ID='ak 2'\nMODAL_TOKEN_SECRET=\"as\\n2\"\n",
		"MODAL_TOKEN_ID=\n", "# comment only\n", "MODAL_TOKEN_ID=a\nMODAL_TOKEN_ID=b\n", "=\n==\n\x00",
	} {
		f.Add(s)
	}
	home := f.TempDir()
	f.Fuzz(func(t *testing.T, dotenv string) {
		if err := os.WriteFile(filepath.Join(home, config.EnvFileName), []byte(dotenv), 0o600); err != nil {
			t.Fatal(err)
		}
		id, secret, err := Credentials(home, []string{"MODAL_TOKEN_SECRET=from-env"})
		if err != nil {
			if id != "" || secret != "" {
				t.Fatalf("error %v with tokens %q, %q", err, id, secret)
			}
			return
		}
		if id == "" || secret == "" || strings.ContainsAny(id+secret, " \t\r\n\x00") {
			t.Fatalf("no error but tokens %q, %q", id, secret)
		}
	})
}
