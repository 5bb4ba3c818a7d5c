package file

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/tools"
)

// WriteFile is the write_file tool.
type WriteFile struct{}

var _ tools.Tool = WriteFile{}

func (WriteFile) Name() string    { return "write_file" }
func (WriteFile) Toolset() string { return Toolset }
func (WriteFile) Description() string {
	return "Create or overwrite a file with `content` (missing parent directories are created; the write is atomic). " +
		"To change part of an existing file, prefer patch."
}
func (WriteFile) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"path":{"type":"string","description":"file to write; absolute, ~/..., or relative to the working directory"},` +
		`"content":{"type":"string","description":"the whole new content of the file"}},` +
		`"required":["path","content"],"additionalProperties":false}`)
}

type writeArgs struct {
	Path    string  `json:"path"`
	Content *string `json:"content"`
}

func (t WriteFile) Run(_ context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a writeArgs
	if res, ok := decode(t.Name(), raw, &a); !ok {
		return res, nil
	}
	if a.Content == nil {
		return tools.Errorf("write_file: content is missing; pass the whole file text as content (\"\" for an empty file)"), nil
	}
	p, res, ok := writable(env, "write_file", a.Path)
	if !ok {
		return res, nil
	}
	perm := fileutil.PublicFile
	if fi, err := os.Stat(p); err == nil {
		if fi.IsDir() {
			return tools.Errorf("write_file: %s is a directory; give a file path inside it", a.Path), nil
		}
		perm = fi.Mode().Perm()
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return tools.Errorf("write_file: cannot create the directory of %s: %v", a.Path, unwrapPath(err)), nil
	}
	if err := fileutil.WriteFile(p, []byte(*a.Content), perm); err != nil {
		return tools.Errorf("write_file: %v", unwrapPath(err)), nil
	}
	return tools.Result{Content: fmt.Sprintf("wrote %s (%s) to %s",
		plural(len(*a.Content), "byte"), plural(countLines(*a.Content), "line"), display(env, p))}, nil
}

// writable resolves the path argument of a tool that writes and refuses
// the protected files of the hermes home.
func writable(env *tools.Env, tool, arg string) (string, tools.Result, bool) {
	p, err := resolve(env, arg)
	if err != nil {
		return "", tools.Errorf("%s: %v", tool, err), false
	}
	if why := writeRefusal(env, p); why != "" {
		return "", tools.Errorf("%s: %s %s", tool, arg, why), false
	}
	// patch reads what it edits, and a hard link to a secret must not be
	// reached by writing where it cannot be read.
	if n := readRefusal(env, p); n != "" {
		return "", tools.Errorf("%s: %s is the hermes home's %s, which holds secrets; it cannot be read or written by tools", tool, arg, n), false
	}
	return p, tools.Result{}, true
}

// countLines counts lines the way an editor shows them: a final line
// without a newline counts.
func countLines(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// unwrapPath drops the *PathError wrapper's operation so messages stay short.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
