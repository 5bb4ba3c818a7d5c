package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Export formats.
const (
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// Export is the JSON form of an exported session.
type Export struct {
	Session  Session  `json:"session"`
	Messages []Record `json:"messages"`
}

// Export writes a session, with every message, to w as "json" (one
// object: session and messages) or "markdown" (a readable transcript).
func (s *Store) Export(ctx context.Context, id string, w io.Writer, format string) error {
	if format != FormatJSON && format != FormatMarkdown {
		return fmt.Errorf("export format %q: want json or markdown", format)
	}
	sess, err := s.Session(ctx, id)
	if err != nil {
		return err
	}
	recs, err := s.Records(ctx, id)
	if err != nil {
		return err
	}
	if format == FormatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(Export{Session: sess, Messages: recs})
	}
	bw := bufio.NewWriter(w)
	writeMarkdown(bw, sess, recs)
	return bw.Flush()
}

func writeMarkdown(w *bufio.Writer, sess Session, recs []Record) {
	title := sess.Title
	if title == "" {
		title = "Session " + sess.ID
	}
	fmt.Fprintf(w, "# %s\n\n", title)
	fmt.Fprintf(w, "- id: `%s`\n- source: %s\n", sess.ID, sess.Source)
	if sess.Model != "" {
		fmt.Fprintf(w, "- model: %s (%s)\n", sess.Model, sess.Provider)
	}
	if sess.ParentID != "" {
		fmt.Fprintf(w, "- parent: `%s`\n", sess.ParentID)
	}
	fmt.Fprintf(w, "- started: %s\n", sess.StartedAt.UTC().Format(time.RFC3339))
	if sess.Ended() {
		fmt.Fprintf(w, "- ended: %s\n", sess.EndedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "- tokens: %d in, %d out; cost $%.4f\n", sess.InputTokens, sess.OutputTokens, sess.CostUSD)
	for _, r := range recs {
		heading := string(r.Role)
		if r.ToolCallID != "" {
			heading += " (result of " + r.ToolCallID + ")"
		}
		if r.IsError {
			heading += ", error"
		}
		fmt.Fprintf(w, "\n## %s\n\n", heading)
		if r.Content != "" {
			w.WriteString(r.Content)
			w.WriteString("\n")
		}
		for _, c := range r.ToolCalls {
			fence := fenceFor(c.Arguments)
			fmt.Fprintf(w, "\nTool call `%s` (%s):\n\n%sjson\n%s\n%s\n", c.Name, c.ID, fence, c.Arguments, fence)
		}
	}
}

// fenceFor returns a code fence longer than any backtick run in s.
func fenceFor(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
