package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// rgText is ripgrep's encoding of a string that may not be UTF-8.
type rgText struct {
	Text  *string `json:"text"`
	Bytes string  `json:"bytes"`
}

func (t rgText) String() string {
	if t.Text != nil {
		return *t.Text
	}
	b, _ := base64.StdEncoding.DecodeString(t.Bytes)
	return string(b)
}

// rgEvent is one line of `rg --json` output; only matches matter here.
type rgEvent struct {
	Type string `json:"type"`
	Data struct {
		Path       rgText `json:"path"`
		Lines      rgText `json:"lines"`
		LineNumber int    `json:"line_number"`
	} `json:"data"`
}

// parseRgLine decodes one line of rg --json output into a match, if it
// is one.
func parseRgLine(line []byte) (match, bool) {
	var ev rgEvent
	if json.Unmarshal(line, &ev) != nil || ev.Type != "match" || ev.Data.LineNumber < 1 {
		return match{}, false
	}
	return match{path: ev.Data.Path.String(), line: ev.Data.LineNumber, text: ev.Data.Lines.String()}, true
}

// ripgrep runs rg and reads its JSON stream until s.max matches.
func (s *search) ripgrep(ctx context.Context, rg string) ([]match, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	args := []string{"--json", "--sort", "path", "--hidden", "--no-require-git",
		"--no-config", "-g", "!.git", "-g", "!node_modules", "--max-filesize", fmt.Sprint(MaxSearchFile)}
	// The glob is applied here, not with rg -g, which would override
	// .gitignore; rg runs in the root so its paths are relative to it.
	dir, target := s.root, "."
	if fi, err := os.Stat(s.root); err == nil && !fi.IsDir() {
		dir, target = filepath.Dir(s.root), filepath.Base(s.root)
	}
	args = append(args, "-e", s.re.String(), "--", target)
	cmd := exec.CommandContext(ctx, rg, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, false, err
	}
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("cannot run ripgrep: %w", err)
	}
	var matches []match
	more := false
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		m, ok := parseRgLine(sc.Bytes())
		if !ok {
			continue
		}
		m.path = filepath.Join(dir, m.path)
		if s.skip(m.path) || (m.path != s.root && !s.globOK(m.path)) {
			continue
		}
		if len(matches) == s.max {
			more = true
			cancel()
			break
		}
		matches = append(matches, m)
	}
	err = cmd.Wait()
	if more {
		return matches, true, nil
	}
	if ctx.Err() != nil {
		return nil, false, ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return nil, false, nil // no match
	}
	if err != nil && len(matches) == 0 {
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		return nil, false, fmt.Errorf("ripgrep failed: %s", msg)
	}
	return matches, false, nil
}
