package ssh

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hermes-go/hermes/internal/config"
)

// pgidMarker starts the first line the wrapper prints on stdout: the
// remote process group of the command, which a timeout kills.
const pgidMarker = "HERMES_SSH_PGID:"

// shellQuote quotes s for a POSIX shell: in single quotes, each ' inside
// closed, escaped with a backslash and reopened. Nothing inside is expanded.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteDir quotes a directory CheckWorkdir accepted, leaving a leading ~
// unquoted so the remote shell expands it to the remote home.
func quoteDir(d string) string {
	switch {
	case d == "~":
		return "~"
	case strings.HasPrefix(d, "~/"):
		rest := d[2:]
		if rest == "" {
			return "~/"
		}
		return "~/" + shellQuote(rest)
	default:
		return shellQuote(d)
	}
}

// resolveDir returns the directory a command starts in: the workspace when
// dir is "", dir joined to the workspace when it is relative, else dir; the
// result must pass config.CheckWorkdir (layer 7: no control or shell
// characters).
func resolveDir(workspace, dir string) (string, error) {
	d := dir
	switch {
	case d == "":
		d = workspace
	case d == "~" || strings.HasPrefix(d, "~/") || strings.HasPrefix(d, "/"):
	default:
		d = path.Join(workspace, d)
	}
	if msg := config.CheckWorkdir(d); msg != "" {
		return "", fmt.Errorf("ssh: working directory: %s", msg)
	}
	return d, nil
}

// killCommand is what a second session runs to end a command's process
// group. `kill -s KILL -- -PGID` is the POSIX form dash, bash and busybox
// all accept.
func killCommand(pgid int) string {
	return fmt.Sprintf("exec /bin/sh -c 'kill -s KILL -- -%d 2>/dev/null; kill -s KILL %d 2>/dev/null; true'", pgid, pgid)
}

// bootScript is what /bin/sh runs for every command, with the end marker
// as $1 and its stderr on fd 3. It prints its pid, which is its process
// group (it runs as a session leader: under `setsid -w` when the remote
// has util-linux's setsid, else as the leader sshd makes of every
// session); printf is a builtin, so the line is out before the next
// command. Only then does the client send the command's script, which
// this reads from stdin up to the marker line and evaluates; the rest of
// stdin is the command's own. Input that ends before the marker (the
// command was killed before it was sent) runs nothing: exit 125. The
// script carries the exports, so no value ever appears on a command line
// the remote process list shows.
const bootScript = `exec 2>&3 3>&-; printf '` + pgidMarker + `%s\n' "$$"; s=; while IFS= read -r l; do ` +
	`if [ "$l" = "$1" ]; then unset l; eval "$s"; exit; fi; s="$s$l
"; done; exit 125`

// bootCommand is the text the session hands to the remote login shell. It
// runs /bin/sh straight away (so a bash, zsh or fish login shell does not
// matter) and starts the boot script in a new session when setsid(1) can
// wait for it. setsid's own complaint about a killed child goes to
// /dev/null; the boot script gets the session's stderr back from fd 3.
// Nothing secret is in it: marker is a random token.
func bootCommand(marker string) string {
	boot := shellQuote(bootScript)
	m := shellQuote(marker)
	inner := "if setsid -w true >/dev/null 2>&1; then exec setsid -w /bin/sh -c " + boot + " hermes " + m +
		" 3>&2 2>/dev/null; fi; exec /bin/sh -c " + boot + " hermes " + m + " 3>&2"
	return "exec /bin/sh -c " + shellQuote(inner)
}

// commandScript is the script bootScript evaluates: one export line per
// variable in name order, the cd into dir, then the command text.
func commandScript(env map[string]string, dir, cmd, marker string) (string, error) {
	var b strings.Builder
	// One stream, so stdout and stderr interleave as written.
	b.WriteString("exec 2>&1\n")
	for _, n := range sortedNames(env) {
		if !config.IsEnvName(n) {
			return "", fmt.Errorf("ssh: environment variable name %q is not a shell identifier; rename it", n)
		}
		v := env[n]
		if strings.IndexByte(v, 0) >= 0 {
			return "", fmt.Errorf("ssh: environment variable %s holds a NUL byte, which a shell cannot carry", n)
		}
		b.WriteString("export " + n + "=" + shellQuote(v) + "\n")
	}
	b.WriteString("cd " + quoteDir(dir) + " || exit 1\n")
	b.WriteString(cmd)
	b.WriteString("\n" + marker + "\n")
	// A line of the script equal to the marker would end it early; the
	// marker is 128 random bits, so only a script built to hit it could.
	if strings.Count(b.String(), "\n"+marker+"\n") != 1 {
		return "", fmt.Errorf("ssh: the command holds its own end marker; run it again")
	}
	return b.String(), nil
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
