package file

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hermes-go/hermes/internal/tools"
)

// Limits of read_file.
const (
	// MaxWholeFile is the largest file read_file shows without a range;
	// bigger files need offset or limit.
	MaxWholeFile = 256 << 10
	// DefaultReadLines is how many lines one call shows by default.
	DefaultReadLines = 2000
	// MaxLineChars is where a very long line is cut.
	MaxLineChars = 2000
	sniffSize    = 8 << 10
)

// ReadFile is the read_file tool.
type ReadFile struct{}

var _ tools.Tool = ReadFile{}

func (ReadFile) Name() string    { return "read_file" }
func (ReadFile) Toolset() string { return Toolset }
func (ReadFile) Description() string {
	return "Read a text file with line numbers (`   12→text`). Relative paths start at the working directory. " +
		"Shows up to 2000 lines from `offset` (1-based); files over 256 KiB need `offset`/`limit`. " +
		"Binary files are described, not dumped."
}
func (ReadFile) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"path":{"type":"string","description":"file to read; absolute, ~/..., or relative to the working directory"},` +
		`"offset":{"type":"integer","minimum":1,"description":"first line to show (1-based, default 1)"},` +
		`"limit":{"type":"integer","minimum":1,"description":"how many lines to show (default 2000)"}},` +
		`"required":["path"],"additionalProperties":false}`)
}

type readArgs struct {
	Path   string `json:"path"`
	Offset *int   `json:"offset"`
	Limit  *int   `json:"limit"`
}

func (t ReadFile) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a readArgs
	if res, ok := decode(t.Name(), raw, &a); !ok {
		return res, nil
	}
	p, err := resolve(env, a.Path)
	if err != nil {
		return tools.Errorf("read_file: %v", err), nil
	}
	if n := readRefusal(env, p); n != "" {
		return tools.Errorf("read_file: %s is the hermes home's %s, which holds secrets; it cannot be read by tools", a.Path, n), nil
	}
	offset, limit := 1, DefaultReadLines
	if a.Offset != nil {
		if *a.Offset < 1 {
			return tools.Errorf("read_file: offset %d is not a line number; lines start at 1", *a.Offset), nil
		}
		offset = *a.Offset
	}
	if a.Limit != nil {
		if *a.Limit < 1 {
			return tools.Errorf("read_file: limit %d must be at least 1", *a.Limit), nil
		}
		limit = *a.Limit
	}
	ranged := a.Offset != nil || a.Limit != nil
	f, fi, res, ok := openRegular("read_file", a.Path, p)
	if !ok {
		return res, nil
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(sniffSize)
	if len(head) == 0 {
		return tools.Result{Content: fmt.Sprintf("(%s is empty)", display(env, p))}, nil
	}
	if isBinary(head) {
		return tools.Result{Content: fmt.Sprintf("%s is a binary file (%d bytes, %s); read_file shows text only",
			display(env, p), fi.Size(), http.DetectContentType(head))}, nil
	}
	if fi.Size() > MaxWholeFile && !ranged {
		return tools.Errorf("read_file: %s is %d bytes, over the %d KiB limit for a whole read; pass offset and limit to read a part, or search_files to find what you need",
			a.Path, fi.Size(), MaxWholeFile>>10), nil
	}
	out, err := numberLines(ctx, br, offset, limit, fi.Size() <= MaxWholeFile)
	if err != nil {
		return tools.Result{}, fmt.Errorf("read %s: %w", a.Path, err)
	}
	if out.shown == 0 {
		return tools.Errorf("read_file: offset %d is past the end of %s (%s); use a smaller offset", offset, a.Path, plural(out.total, "line")), nil
	}
	return tools.Result{Content: out.String()}, nil
}

// openRegular opens p for reading and checks it is a regular file.
func openRegular(tool, arg, p string) (*os.File, fs.FileInfo, tools.Result, bool) {
	f, err := os.Open(p)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil, tools.Errorf("%s: %s does not exist; check the path (search_files can find a file by name)", tool, arg), false
		case errors.Is(err, fs.ErrPermission):
			return nil, nil, tools.Errorf("%s: permission denied reading %s", tool, arg), false
		}
		return nil, nil, tools.Errorf("%s: cannot open %s: %v", tool, arg, err), false
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = fmt.Errorf("%s is a directory, not a file; use search_files or the terminal to list it", arg)
	} else if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file (%s)", arg, fi.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, nil, tools.Errorf("%s: %v", tool, err), false
	}
	return f, fi, tools.Result{}, true
}

// isBinary reports whether the first bytes of a file look binary: a NUL
// byte, or more than 10% of the bytes in invalid UTF-8 sequences.
func isBinary(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	invalid := 0
	for i := 0; i < len(head); {
		if head[i] == 0 {
			return true
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 && len(head)-i >= utf8.UTFMax {
			invalid++ // a rune cut at the end of the sample is not counted
		}
		i += size
	}
	return invalid*10 > len(head)
}

// numbered is the window of lines read_file shows.
type numbered struct {
	b            strings.Builder
	first, shown int
	total        int  // lines in the file, when counted
	counted      bool // total is the whole file
	more         bool // lines follow the window
}

func (n *numbered) String() string {
	s := n.b.String()
	last := n.first + n.shown - 1
	switch {
	case n.more && n.counted:
		s += fmt.Sprintf("[lines %d-%d of %d; call read_file with offset %d to read on]\n", n.first, last, n.total, last+1)
	case n.more:
		s += fmt.Sprintf("[lines %d-%d; more follow: call read_file with offset %d to read on]\n", n.first, last, last+1)
	}
	return s
}

// numberLines formats lines offset..offset+limit-1 of r. When count is
// set it reads to the end to count every line.
func numberLines(ctx context.Context, r *bufio.Reader, offset, limit int, count bool) (*numbered, error) {
	out := &numbered{first: offset, counted: count}
	for line := 1; ; line++ {
		if line%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		text, err := r.ReadString('\n')
		if text == "" && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		out.total = line
		switch {
		case line < offset:
		case line < offset+limit:
			out.shown++
			writeLine(&out.b, line, text)
		default:
			out.more = true
			if !count {
				return out, nil
			}
		}
		if err == io.EOF {
			break
		}
	}
	return out, nil
}

func writeLine(b *strings.Builder, n int, text string) {
	text = strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r")
	if len(text) > MaxLineChars {
		cut := MaxLineChars
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = fmt.Sprintf("%s… [line cut: %d characters]", text[:cut], len(text))
	}
	fmt.Fprintf(b, "%6d→%s\n", n, text)
}
