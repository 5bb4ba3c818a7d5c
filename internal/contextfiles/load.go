package contextfiles

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Report is the verdict on a set of context files.
type Report struct {
	Files []File `json:"files"`
}

// Loaded is what Load found: the verdict on every file and the text for
// the system prompt.
type Loaded struct {
	Report
	Prompt string
}

// Load discovers the context files for cwd (see Discover), reads each up
// to o.MaxBytes and, when o.Scan is set, scans everything it read. A file
// with findings is blocked: its content stays out of the prompt, which
// gets BlockedNotice instead, and a warning is logged through slog. Files
// with nothing but white space add nothing to the prompt. A file that
// vanished since discovery is left out; any other read error is returned.
func Load(cwd string, o Options) (Loaded, error) {
	files, err := Discover(cwd, o)
	if err != nil {
		return Loaded{}, err
	}
	var out Loaded
	var sections []string
	for _, f := range files {
		text, err := readLimited(f.Path, o.maxBytes())
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Loaded{}, err
		}
		f.Size, f.Truncated = text.size, text.truncated
		if o.Scan {
			judge(&f, text.body, true)
		} else {
			f.Status = StatusLoaded
		}
		out.Files = append(out.Files, f)
		switch {
		case f.Blocked:
			sections = append(sections, BlockedNotice(f.Path, f.IDs))
		case strings.TrimSpace(text.body) != "":
			sections = append(sections, section(f, text))
		}
	}
	out.Prompt = strings.Join(sections, "\n\n")
	return out, nil
}

// ScanPaths scans what the CLI names: a directory is discovered like a
// working directory (SOUL.md from o.Home is added once, not per
// directory), a file is scanned as is with Kind "file". Everything read is
// scanned whatever o.Scan says; a file seen twice is reported once. A path
// that does not exist is an error naming it.
func ScanPaths(paths []string, o Options) (Report, error) {
	rep := Report{Files: []File{}}
	seen := make(map[string]bool)
	soul := o.Home
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return Report{}, fmt.Errorf("contextfiles: scan %s: %w", p, err)
		}
		var files []File
		if fi.IsDir() {
			files, err = Discover(p, Options{Home: soul, MaxBytes: o.MaxBytes})
			if err != nil {
				return Report{}, err
			}
			soul = ""
		} else {
			abs, err := filepath.Abs(p)
			if err != nil {
				return Report{}, fmt.Errorf("contextfiles: scan %s: %w", p, err)
			}
			files = []File{{Path: abs, Kind: KindFile}}
		}
		for _, f := range files {
			if seen[f.Path] {
				continue
			}
			seen[f.Path] = true
			text, err := readLimited(f.Path, o.maxBytes())
			if err != nil {
				return Report{}, err
			}
			f.Size, f.Truncated = text.size, text.truncated
			judge(&f, text.body, false)
			rep.Files = append(rep.Files, f)
		}
	}
	return rep, nil
}

// BlockedNotice is the line the system prompt gets for a blocked file.
func BlockedNotice(path string, ids []string) string {
	return fmt.Sprintf("[BLOCKED: %s contained potential prompt injection (%s). Content not loaded.]", path, strings.Join(ids, ", "))
}

// judge scans body (all of it: whatever is loaded reaches the model) and
// records the verdict in f, logging a warning when f is blocked and warn is
// set (loading for the prompt; a scan report is shown to the user instead).
func judge(f *File, body string, warn bool) {
	f.Findings = scan(body)
	f.IDs = IDs(f.Findings)
	f.Blocked = len(f.Findings) > 0
	f.Status = StatusLoaded
	if f.Blocked {
		f.Status = StatusBlocked
	}
	if f.Blocked && warn {
		slog.Warn("context file blocked: potential prompt injection", "file", f.Path, "ids", strings.Join(f.IDs, ","))
	}
}

// section renders a loaded file for the prompt: a heading with its path,
// the text, and a note when the file was cut.
func section(f File, t fileText) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s", f.Path, strings.TrimRight(t.body, "\n"))
	if t.truncated {
		fmt.Fprintf(&b, "\n\n[Truncated: %s is %d bytes; only the first %d were loaded (security.context_file_max_kib).]", f.Path, t.size, len(t.body))
	}
	return b.String()
}

// fileText is the loaded head of a file.
type fileText struct {
	body      string
	size      int64 // the whole file's size
	truncated bool
}

// readLimited reads at most limit bytes of path, cut back to the last
// whole UTF-8 character when the file is longer.
func readLimited(path string, limit int) (fileText, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileText{}, fmt.Errorf("contextfiles: read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileText{}, fmt.Errorf("contextfiles: read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fileText{}, fmt.Errorf("contextfiles: read %s: not a regular file", path)
	}
	buf, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return fileText{}, fmt.Errorf("contextfiles: read %s: %w", path, err)
	}
	t := fileText{size: max(fi.Size(), int64(len(buf)))}
	if len(buf) > limit {
		buf = cutUTF8(buf[:limit])
		t.truncated = true
	}
	t.body = string(buf)
	return t, nil
}

// cutUTF8 drops a character split by the end of b.
func cutUTF8(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}
