// Package file owns the file tools of the "file" toolset: read_file,
// write_file, patch and search_files.
//
// These tools run inside the hermes process on the host filesystem, as in
// the reference implementation: they do not go through the terminal
// backend, so a docker or ssh backend does not confine them. Relative paths
// are taken from the session's working directory (Env.Cwd) and a leading ~
// is the user's home directory.
//
// The hermes home is off limits where it matters (protect.go). Paths are
// judged as given and with symlinks and ".." resolved. write_file and
// patch refuse the control files and folders of the active profile
// (config.yaml, .env, auth.json, SOUL.md, state.db and its -wal/-shm,
// cron/, platforms/, memories/, skills/), the root's active_profile, and
// everything of every other profile (the root is the default profile, its
// profiles/<name>/ the others); the error names the command or tool to use
// instead: memories/ and skills/ change only through the memory and
// skill_manage tools, which scan what they save. read_file refuses the .env
// and auth.json of the root and of every profile, and any other name of
// the same file (a hard link, compared by device and inode); search_files
// refuses them as a root and skips them in a walk.
//
// Writes are atomic (internal/fileutil): a crash never leaves a half
// written file. search_files uses ripgrep when `rg` is on PATH and a Go
// walker otherwise; both skip .git, node_modules and binary files and
// honour .gitignore.
package file

import (
	"encoding/json"
	"fmt"

	"github.com/hermes-go/hermes/internal/tools"
)

// Toolset is the toolset name config enables these tools by.
const Toolset = "file"

func init() {
	tools.Default.Register(ReadFile{})
	tools.Default.Register(WriteFile{})
	tools.Default.Register(Patch{})
	tools.Default.Register(SearchFiles{})
}

// decode unmarshals the arguments of tool name into v, or returns the
// error Result the model sees.
func decode(name string, args json.RawMessage, v any) (tools.Result, bool) {
	if err := json.Unmarshal(args, v); err != nil {
		return tools.Errorf("%s: bad arguments (%v); check the types in the schema", name, err), false
	}
	return tools.Result{}, true
}

// plural formats n with its noun, "1 line" or "3 lines".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
