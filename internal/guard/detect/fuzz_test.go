package detect

import (
	"strings"
	"testing"
	"time"
)

// FuzzScan: Scan never panics, always terminates quickly, and reports
// only known keys with the command they came from.
func FuzzScan(f *testing.F) {
	for _, name := range []string{"hardline.txt", "dangerous.txt"} {
		for _, l := range readCorpus(f, name, true) {
			f.Add(l.command)
		}
	}
	for _, name := range []string{"safe.txt", "unparseable.txt"} {
		for _, l := range readCorpus(f, name, false) {
			f.Add(l.command)
		}
	}
	f.Fuzz(func(t *testing.T, command string) {
		start := time.Now()
		r := Scan(command, corpusOpts)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Scan took %v", d)
		}
		if r.Unparseable != nil && r.Unparseable.Error() == "" {
			t.Fatal("empty error")
		}
		if r.Unparseable != nil && strings.Contains(r.Unparseable.Error(), "internal error") {
			t.Fatalf("Scan panicked: %v", r.Unparseable)
		}
		for _, m := range r.Matches {
			p, ok := patterns[m.Key]
			if !ok || p.Hardline != m.Hardline || p.Category != m.Category {
				t.Fatalf("match %+v does not match its pattern", m)
			}
		}
		_ = Normalize(command)
	})
}

// indirectionShapes put a hardline payload behind an indirection whose
// variable name and spacing the fuzzer chooses.
var indirectionShapes = []func(name, pad, p string) string{
	func(n, w, p string) string { return n + "=" + sq(p) + ";" + w + "$" + n },
	func(n, w, p string) string { return "export " + n + "=" + sq(p) + ";" + w + "${" + n + "}" },
	func(n, w, p string) string { return n + "=(" + p + ");" + w + "\"${" + n + "[@]}\"" },
	func(n, w, p string) string { return n + "(){" + w + "\"$@\";" + w + "};" + w + n + " " + p },
	func(n, w, p string) string { return "read -r " + n + " <<< " + sq(p) + ";" + w + "$" + n },
	func(n, w, p string) string { return "printf -v " + n + " %s " + sq(p) + ";" + w + "$" + n },
	func(n, w, p string) string { return ":" + w + "${" + n + ":=" + sq(p) + "};" + w + "$" + n },
	func(n, w, p string) string { return "cat <<" + n + " |" + w + "sh\n" + p + "\n" + n },
	func(n, w, p string) string { return "sh -c " + sq("\"$@\"") + w + n + " " + p },
	func(n, w, p string) string {
		return "for " + n + " in " + sq(p) + "; do" + w + "eval \"$" + n + "\"; done"
	},
	func(n, w, p string) string { return "sudo" + w + "env " + n + "=1 " + p },
	func(n, w, p string) string { return "ssh " + n + w + sq(p) },
}

func sq(p string) string { return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'" }

// FuzzIndirectionHardline: the expander never panics, and a hardline
// payload of the seed corpus behind any indirection, whatever its
// variable name and spacing, is never judged safe.
func FuzzIndirectionHardline(f *testing.F) {
	var payloads []string
	for _, l := range readCorpus(f, "hardline.txt", true) {
		if !strings.ContainsAny(l.command, "'\"\\\n$`(){};&|<>#") {
			payloads = append(payloads, l.command)
		}
	}
	for i := range indirectionShapes {
		f.Add(uint16(i), uint8(i), "X", " ")
		f.Add(uint16(i*7), uint8(i), "cmd_1", "\t")
	}
	f.Fuzz(func(t *testing.T, pi uint16, si uint8, name, pad string) {
		if !isAssignment(name+"=") || strings.Contains(name, "=") || len(name) > 64 || strings.Trim(pad, " \t") != "" || len(pad) > 8 {
			return
		}
		switch name {
		case "IFS", "HOME", "PATH", "FUNCNAME", "BASH_ENV", "ENV", "SHELL":
			return
		}
		pad = " " + pad // the shapes need a separator
		p := payloads[int(pi)%len(payloads)]
		cmd := indirectionShapes[int(si)%len(indirectionShapes)](name, pad, p)
		r := Scan(cmd, corpusOpts)
		if r.Unparseable != nil && strings.Contains(r.Unparseable.Error(), "internal error") {
			t.Fatalf("%q: %v", cmd, r.Unparseable)
		}
		if r.Unparseable == nil && !r.Hardline() {
			t.Fatalf("%q: %v, want hardline (payload %q)", cmd, r.Keys(), p)
		}
	})
}
