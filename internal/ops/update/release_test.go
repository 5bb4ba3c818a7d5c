package update

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// releaseServer serves a release directory from files on 127.0.0.1.
func releaseServer(t *testing.T, files map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[strings.TrimPrefix(r.URL.Path, "/rel/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/rel"
}

func sumOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestReleaseDownload(t *testing.T) {
	t.Parallel()
	good := "binary v2"
	tests := []struct {
		name, sums, body, wantErr string
	}{
		{"verified", sumOf(good) + "  " + AssetName() + "\n" + sumOf("x") + "  hermes-plan9-mips\n", good, ""},
		{"binary mode star", sumOf(good) + " *" + AssetName() + "\n", good, ""},
		{"tampered", sumOf(good) + "  " + AssetName() + "\n", "binary v2 evil", "checksum mismatch"},
		{"platform missing", sumOf(good) + "  hermes-plan9-mips\n", good, "no checksum for " + AssetName()},
		{"bad sum", "abc  " + AssetName() + "\n", good, "is not a SHA-256"},
		{"no sums", "", good, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{AssetName(): tt.body, "VERSION": "v2\n"}
			if tt.sums != "" {
				files["SHA256SUMS"] = tt.sums
			}
			r := Release{URL: releaseServer(t, files)}
			out := filepath.Join(t.TempDir(), "next")
			sum, err := r.Download(context.Background(), out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if _, serr := os.Stat(out); !os.IsNotExist(serr) {
					t.Fatalf("a refused download was left at %s", out)
				}
				return
			}
			if err != nil || sum != sumOf(good) || readBin(t, out) != good {
				t.Fatalf("sum %s err %v", sum, err)
			}
			if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o755 {
				t.Fatalf("mode %v", fi.Mode())
			}
			if v, err := r.Latest(context.Background()); v != "v2" || err != nil {
				t.Fatalf("latest %q %v", v, err)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"https://github.com/hermes-go/hermes/releases/latest/download": true,
		"http://127.0.0.1:8080/rel":                                    true,
		"http://localhost/rel":                                         true,
		"http://[::1]:9/rel":                                           true,
		"http://example.com/rel":                                       false,
		"http://10.0.0.1/rel":                                          false,
		"ftp://example.com/rel":                                        false,
		"file:///tmp/rel":                                              false,
		"not a url":                                                    false,
	} {
		if _, err := CheckURL(raw); (err == nil) != ok {
			t.Errorf("%s: err %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestLatestRejectsJunk(t *testing.T) {
	t.Parallel()
	r := Release{URL: releaseServer(t, map[string]string{"VERSION": "<html>not found</html>\n"})}
	if _, err := r.Latest(context.Background()); err == nil {
		t.Fatal("a page of HTML was taken for a version")
	}
}

func FuzzParseSums(f *testing.F) {
	f.Add(sumOf("a")+"  hermes-linux-amd64\n", "hermes-linux-amd64")
	f.Add("# comment\n\n"+sumOf("b")+" *x\n", "x")
	f.Add("zz", "zz")
	f.Fuzz(func(t *testing.T, sums, name string) {
		sum, err := ParseSums(sums, name)
		if err != nil {
			return
		}
		if b, herr := hex.DecodeString(sum); herr != nil || len(b) != sha256.Size {
			t.Fatalf("accepted %q as a SHA-256", sum)
		}
	})
}
