package file

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hermes-go/hermes/internal/fileutil"
	"github.com/hermes-go/hermes/internal/tools"
)

// MaxPatchFile is the largest file patch edits.
const MaxPatchFile = 10 << 20

// Patch is the patch tool: find and replace in one file.
type Patch struct{}

var _ tools.Tool = Patch{}

func (Patch) Name() string    { return "patch" }
func (Patch) Toolset() string { return Toolset }
func (Patch) Description() string {
	return "Replace `old_string` with `new_string` in a file and show the diff. old_string must match exactly one place " +
		"(include surrounding lines to make it unique) unless replace_all is set; if it matches nowhere exactly, a unique match " +
		"that differs only in whitespace (indentation, trailing spaces, CRLF) is used and new_string is re-indented to fit."
}
func (Patch) Schema() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{` +
		`"path":{"type":"string","description":"file to edit; absolute, ~/..., or relative to the working directory"},` +
		`"old_string":{"type":"string","description":"the text to replace, copied from the file"},` +
		`"new_string":{"type":"string","description":"the replacement (may be empty to delete)"},` +
		`"replace_all":{"type":"boolean","description":"replace every exact occurrence (default false)"}},` +
		`"required":["path","old_string","new_string"],"additionalProperties":false}`)
}

type patchArgs struct {
	Path       string  `json:"path"`
	OldString  *string `json:"old_string"`
	NewString  *string `json:"new_string"`
	ReplaceAll bool    `json:"replace_all"`
}

func (t Patch) Run(_ context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a patchArgs
	if res, ok := decode(t.Name(), raw, &a); !ok {
		return res, nil
	}
	switch {
	case a.OldString == nil || *a.OldString == "":
		return tools.Errorf("patch: old_string is missing or empty; copy the text to replace from the file (use write_file to create a file)"), nil
	case a.NewString == nil:
		return tools.Errorf("patch: new_string is missing; pass the replacement text (\"\" deletes old_string)"), nil
	case *a.OldString == *a.NewString:
		return tools.Errorf("patch: old_string and new_string are the same; nothing would change"), nil
	}
	p, res, ok := writable(env, "patch", a.Path)
	if !ok {
		return res, nil
	}
	f, fi, res, ok := openRegular("patch", a.Path, p)
	if !ok {
		return res, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxPatchFile+1))
	f.Close()
	if err != nil {
		return tools.Errorf("patch: cannot read %s: %v", a.Path, err), nil
	}
	if len(data) > MaxPatchFile {
		return tools.Errorf("patch: %s is over %d MiB; edit it with the terminal instead", a.Path, MaxPatchFile>>20), nil
	}
	if isBinary(data[:min(len(data), sniffSize)]) {
		return tools.Errorf("patch: %s is a binary file; patch edits text only", a.Path), nil
	}
	content := string(data)
	edits, fuzzy, merr := planPatch(content, *a.OldString, *a.NewString, a.ReplaceAll)
	if merr != nil {
		return notFoundResult(env, a.Path, merr), nil
	}
	if err := fileutil.WriteFile(p, []byte(apply(content, edits)), fi.Mode().Perm()); err != nil {
		return tools.Errorf("patch: %v", unwrapPath(err)), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "patched %s: %s", display(env, p), plural(len(edits), "replacement"))
	if fuzzy {
		b.WriteString(" (matched ignoring whitespace; new_string re-indented to the file)")
	}
	b.WriteString("\n")
	b.WriteString(unifiedDiff(display(env, p), content, edits))
	return tools.Result{Content: b.String()}, nil
}

// notFoundResult turns a failed match into the error the model sees,
// with the closest lines when old_string was not found.
func notFoundResult(env *tools.Env, arg string, e *matchError) tools.Result {
	if e.kind != notFound {
		return tools.Errorf("patch: %s: %s", arg, e.Error())
	}
	if len(e.near) == 0 {
		return tools.Errorf("patch: old_string was not found in %s and nothing there resembles it; read_file the file and copy the text exactly", arg)
	}
	var b strings.Builder
	for i, l := range e.near {
		writeLine(&b, e.first+i, l)
	}
	res := tools.Errorf("patch: old_string was not found in %s; the closest text is at line %d (below); copy it exactly, whitespace included, or read_file around it\n%s",
		arg, e.first, b.String())
	return res
}
