package migrate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// kindOrder is the order of the report's sections.
var kindOrder = []string{"config", "env", "auth", "soul", "memory", "file", "skill", "cron", "session", "pairing"}

// WriteText prints the report for people: what was found, one line per
// item grouped by kind, and a summary.
func (r *Report) WriteText(w io.Writer) {
	how := "--from " + r.From
	if r.Detected {
		how = "detected from its layout"
	}
	fmt.Fprintf(w, "Migrating from %s (%s: %s) into %s\n", name(r.From), how, r.Source, r.Home)
	if r.DryRun {
		fmt.Fprintln(w, "Dry run: nothing is written.")
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	for _, k := range kindOrder {
		var rows []Item
		for _, it := range r.Items {
			if it.Kind == k {
				rows = append(rows, it)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\n%s\n", k)
		if len(rows) > maxRows {
			rows = summarize(tw, rows)
		}
		for _, it := range rows {
			detail := it.Reason
			if it.Target != "" && (it.Status == Imported || it.Status == WouldImport) {
				detail = strings.TrimSpace("-> " + it.Target + " " + detail)
			}
			if it.Where != "" && it.Status != Imported && it.Status != WouldImport {
				detail = strings.TrimSpace(detail + " (" + it.Where + ")")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", mark(it.Status), it.Name, oneLine(detail))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	c := r.Counts
	if r.NothingToDo() {
		fmt.Fprintf(w, "Nothing to do: everything is already here (%d skipped, %d without equivalent).\n", c.Skipped, c.NoEquivalent)
		return
	}
	if r.DryRun {
		fmt.Fprintf(w, "%d would be imported, %d skipped, %d without equivalent, %d failed. Run without --dry-run to import.\n",
			c.WouldImport, c.Skipped, c.NoEquivalent, c.Failed)
		return
	}
	fmt.Fprintf(w, "%d imported, %d skipped, %d without equivalent, %d failed.\n", c.Imported, c.Skipped, c.NoEquivalent, c.Failed)
	if r.BackupDir != "" {
		fmt.Fprintf(w, "What was replaced is in %s.\n", r.BackupDir)
	}
	if c.Imported > 0 {
		fmt.Fprintln(w, "Next: hermes doctor (or hermes config check)")
	}
}

// maxRows is how many items of one kind are listed one by one; past it
// (a long session history) the report counts them and lists only those
// that did not come over.
const maxRows = 30

func summarize(w io.Writer, rows []Item) []Item {
	n := map[Status]int{}
	var keep []Item
	for _, it := range rows {
		n[it.Status]++
		if it.Status == Failed || it.Status == NoEquivalent {
			keep = append(keep, it)
		}
	}
	for _, st := range []Status{Imported, WouldImport, Skipped, NoEquivalent, Failed} {
		if n[st] > 0 {
			fmt.Fprintf(w, "  %s\t%d\t(--json lists each)\n", mark(st), n[st])
		}
	}
	return keep
}

func name(from string) string {
	if from == FromOpenClaw {
		return "OpenClaw"
	}
	return "the Python Hermes Agent"
}

func mark(s Status) string {
	switch s {
	case Imported:
		return "imported"
	case WouldImport:
		return "would import"
	case Skipped:
		return "skipped"
	case NoEquivalent:
		return "no equivalent"
	}
	return "FAILED"
}
