package backup

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// zipEntry is one entry of a test archive.
type zipEntry struct {
	name string
	data string
	mode fs.FileMode // 0: a regular 0600 file
}

// makeZip builds an archive in memory.
func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o600
		}
		hdr.SetMode(mode)
		w, err := zw.CreateRaw(rawHeader(t, hdr, e.data))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.name, "/") {
			continue
		}
		if _, err := w.Write(deflate(t, e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawHeader fills the sizes and CRC of hdr for data, so CreateRaw keeps
// whatever name and mode a test wants (zip.Writer.Create would refuse
// nothing either, but this also allows lying headers).
func rawHeader(t testing.TB, hdr *zip.FileHeader, data string) *zip.FileHeader {
	t.Helper()
	hdr.CRC32 = crc(data)
	hdr.UncompressedSize64 = uint64(len(data))
	hdr.CompressedSize64 = uint64(len(deflate(t, data)))
	return hdr
}

func readerOf(t testing.TB, b []byte) *zip.Reader {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []zipEntry
		want    string // "" = accepted
	}{
		{"ok", []zipEntry{{name: "config.yaml", data: "a: 1\n"}, {name: "memories/", mode: fs.ModeDir | 0o700}, {name: "memories/MEMORY.md", data: "x"}, {name: "profiles/", mode: fs.ModeDir | 0o700}, {name: "profiles/work/", mode: fs.ModeDir | 0o700}, {name: "profiles/work/.env", data: "K=v"}}, ""},
		{"file named profiles", []zipEntry{{name: "profiles", data: "x"}}, "profile folders"},
		{"traversal", []zipEntry{{name: "../evil", data: "x"}}, "path traversal"},
		{"inner traversal", []zipEntry{{name: "skills/../../evil", data: "x"}}, "path traversal"},
		{"absolute", []zipEntry{{name: "/etc/passwd", data: "x"}}, "absolute path"},
		{"drive letter", []zipEntry{{name: "C:/x", data: "x"}}, "absolute path"},
		{"backslash", []zipEntry{{name: `..\evil`, data: "x"}}, "backslash"},
		{"dot", []zipEntry{{name: "./config.yaml", data: "x"}}, "not clean"},
		{"double slash", []zipEntry{{name: "skills//x", data: "x"}}, "not clean"},
		{"trailing dot", []zipEntry{{name: "skills/.", data: "x"}}, "not clean"},
		{"nul", []zipEntry{{name: "a\x00b", data: "x"}}, "NUL"},
		{"control", []zipEntry{{name: "a\nb", data: "x"}}, "control character"},
		{"symlink", []zipEntry{{name: "SOUL.md", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777}}, "symbolic link"},
		{"device", []zipEntry{{name: "dev", mode: fs.ModeDevice | 0o600}}, "device"},
		{"pipe", []zipEntry{{name: "p", mode: fs.ModeNamedPipe | 0o600}}, "named pipe"},
		{"duplicate", []zipEntry{{name: "config.yaml", data: "a"}, {name: "config.yaml", data: "b"}}, "listed twice"},
		{"file and folder", []zipEntry{{name: "skills", data: "a"}, {name: "skills/x/SKILL.md", data: "b"}}, "both a file and a folder"},
		{"file and folder entry", []zipEntry{{name: "skills/", mode: fs.ModeDir | 0o700}, {name: "skills", data: "b"}}, "both a file and a folder"},
		{"folder without slash", []zipEntry{{name: "skills", data: "x", mode: fs.ModeDir | 0o700}}, "must end in /"},
		{"bad profile", []zipEntry{{name: "profiles/.hidden/config.yaml", data: "x"}}, "profile folders"},
		{"file as profile", []zipEntry{{name: "profiles/work", data: "x"}}, "profile folders"},
		{"empty name", []zipEntry{{name: "", data: "x"}}, "empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			zr := readerOf(t, makeZip(t, tt.entries...))
			_, err := Validate(zr.File, DefaultLimits)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("got %v, want a refusal with %q", err, tt.want)
			}
		})
	}
}

func TestValidateSkipsTransient(t *testing.T) {
	t.Parallel()
	zr := readerOf(t, makeZip(t, zipEntry{name: "gateway.pid", data: "1"}, zipEntry{name: "cron.lock"}, zipEntry{name: "state.db-wal", data: "w"},
		zipEntry{name: "profiles/w/gateway.pid", data: "2"}, zipEntry{name: "last_backup.json", data: "{}"}, zipEntry{name: "state.db", data: "d"}))
	entries, err := Validate(zr.File, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if (e.Name == "state.db") != (e.Skip == "") {
			t.Errorf("%s: skip %q", e.Name, e.Skip)
		}
	}
}

func TestValidateBombs(t *testing.T) {
	t.Parallel()
	zeros := strings.Repeat("\x00", 4<<20)
	noise := make([]byte, 3<<20)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	lim := Limits{MaxEntries: 3, MaxTotal: 8 << 20, MaxRatio: 100, RatioFloor: 1 << 20}
	tests := []struct {
		name    string
		entries []zipEntry
		want    string
	}{
		{"ratio", []zipEntry{{name: "z", data: zeros}}, "expands"},
		{"entries", []zipEntry{{name: "a"}, {name: "b"}, {name: "c"}, {name: "d"}}, "entries"},
		{"total", []zipEntry{{name: "a", data: string(noise)}, {name: "b", data: string(noise)}, {name: "c", data: string(noise)}}, "expands to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Validate(readerOf(t, makeZip(t, tt.entries...)).File, lim)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestValidateOverlap: two central-directory entries pointing at the same
// data (a non-recursive zip bomb) are refused.
func TestValidateOverlap(t *testing.T) {
	t.Parallel()
	b := makeZip(t, zipEntry{name: "a", data: "same"}, zipEntry{name: "b", data: "same"})
	sig := []byte("PK\x01\x02")
	first := bytes.Index(b, sig)
	second := first + 1 + bytes.Index(b[first+1:], sig)
	binary.LittleEndian.PutUint32(b[second+42:], binary.LittleEndian.Uint32(b[first+42:]))
	_, err := Validate(readerOf(t, b).File, DefaultLimits)
	if err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Fatalf("got %v", err)
	}
}

// FuzzValidate: whatever the bytes, an archive Validate accepts has only
// local, clean, unique names of regular files and folders.
func FuzzValidate(f *testing.F) {
	f.Add(makeZip(f, zipEntry{name: "config.yaml", data: "a"}, zipEntry{name: "skills/x/SKILL.md", data: "b"}))
	f.Add(makeZip(f, zipEntry{name: "../x", data: "a"}))
	f.Add(makeZip(f, zipEntry{name: "l", data: "/etc", mode: fs.ModeSymlink | 0o777}))
	f.Add(makeZip(f, zipEntry{name: "a/", mode: fs.ModeDir | 0o700}, zipEntry{name: "a/b", data: "x"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		entries, err := Validate(zr.File, DefaultLimits)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if !filepath.IsLocal(e.Name) || strings.Contains(e.Name, `\`) || filepath.Clean(e.Name) != e.Name {
				t.Fatalf("accepted unsafe name %q", e.Name)
			}
			m := e.File.Mode()
			if !m.IsRegular() && !m.IsDir() {
				t.Fatalf("accepted %q of mode %v", e.Name, m)
			}
			if seen[e.Name] && !e.Dir {
				t.Fatalf("accepted duplicate %q", e.Name)
			}
			seen[e.Name] = true
		}
	})
}
