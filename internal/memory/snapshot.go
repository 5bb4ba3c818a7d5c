package memory

import (
	"fmt"
	"strings"
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
		b.WriteString(Format(st.Entries))
	}
	return b.String(), nil
}
