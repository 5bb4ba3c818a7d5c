package memory

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/hermes-go/hermes/internal/contextfiles"
)

// Snapshot renders both memory files for the system prompt, each under a
// header with its usage:
//
//	MEMORY (67% — 1,474/2,200 chars)
//	first entry
//	§
//	second entry
//
//	USER PROFILE (9% — 130/1,375 chars)
//	...
//
// Every entry is scanned again as it is loaded (see Checked): the files
// may have been edited by hand or by anything else on the machine since
// they were written, so an entry with an injection is replaced by its
// [BLOCKED: ...] line and never reaches the prompt.
//
// Take it once at session start and keep the string: it is the frozen
// view the session's prompt is built from.
func (s *Store) Snapshot() (string, error) {
	var b strings.Builder
	for i, t := range []Target{Memory, User} {
		st, err := s.Read(t)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString("\n")
		}
		title := "MEMORY"
		if t == User {
			title = "USER PROFILE"
		}
		fmt.Fprintf(&b, "%s (%s)\n", title, st.Usage())
		if len(st.Entries) == 0 {
			b.WriteString("(no entries yet)\n")
			continue
		}
		entries, _ := Checked(t, st.Entries)
		b.WriteString(Format(entries))
	}
	return b.String(), nil
}

// Checked scans entries of target t as they are loaded for the model and
// returns them with each entry the scan flags replaced by its
// [BLOCKED: ...] line (contextfiles.BlockedNotice), logging a warning for
// each, and how many were blocked. The entries left are scanned once more
// together, so an attack split across entries is caught too: then every
// entry is blocked.
func Checked(t Target, entries []string) ([]string, int) {
	out := make([]string, len(entries))
	blocked := make([]bool, len(entries))
	n := 0
	var kept []string
	for i, e := range entries {
		out[i] = e
		if ids := contextfiles.IDs(contextfiles.ScanText(e)); len(ids) > 0 {
			out[i], blocked[i] = blockedEntry(t, i+1, ids), true
			n++
			continue
		}
		kept = append(kept, e)
	}
	if len(kept) > 1 {
		if ids := contextfiles.IDs(contextfiles.ScanText(Format(kept))); len(ids) > 0 {
			for i := range out {
				if !blocked[i] {
					out[i], blocked[i] = blockedEntry(t, i+1, ids), true
					n++
				}
			}
		}
	}
	return out, n
}

// blockedEntry is the line that stands for entry n of t; it logs a
// warning.
func blockedEntry(t Target, n int, ids []string) string {
	slog.Warn("memory entry blocked: potential prompt injection", "file", t.File(), "entry", n, "ids", strings.Join(ids, ","))
	flag := ""
	if t == User {
		flag = " --user"
	}
	return contextfiles.BlockedNotice(fmt.Sprintf("%s entry %d", t.File(), n), ids) +
		" The user can review it with `hermes memory edit" + flag + "`."
}
