package detect

import (
	"strings"
	"testing"
)

// TestFamiliesCorpus: testdata/families.txt holds the dangerous (ask)
// families and inline interpreter code, key<TAB>command. The key "allow"
// means no match at all; any other key must be found, and the result is
// hardline exactly when that key is.
func TestFamiliesCorpus(t *testing.T) {
	t.Parallel()
	lines := readCorpus(t, "families.txt", true)
	if len(lines) < 300 {
		t.Fatalf("families corpus has %d commands, want at least 300", len(lines))
	}
	for _, l := range lines {
		r := Scan(l.command, corpusOpts)
		if r.Unparseable != nil {
			t.Errorf("families.txt:%d %q: unparseable: %v", l.line, l.command, r.Unparseable)
			continue
		}
		if l.key == "allow" {
			if len(r.Matches) > 0 {
				t.Errorf("families.txt:%d %q: got %v, want allow", l.line, l.command, r.Keys())
			}
			continue
		}
		p, ok := patterns[l.key]
		if !ok {
			t.Errorf("families.txt:%d: unknown key %q", l.line, l.key)
			continue
		}
		if !hasKey(r, l.key) {
			t.Errorf("families.txt:%d %q: got %v, want %s", l.line, l.command, r.Keys(), l.key)
		}
		if r.Hardline() != p.Hardline {
			t.Errorf("families.txt:%d %q: got %v (hardline %v), want hardline %v", l.line, l.command, r.Keys(), r.Hardline(), p.Hardline)
		}
	}
}

// TestFamilyKeysCovered: every key the families add has at least three
// spellings in the corpus, a stable description, and the right flags.
func TestFamilyKeysCovered(t *testing.T) {
	t.Parallel()
	count := map[string]int{}
	for _, l := range readCorpus(t, "families.txt", true) {
		count[l.key]++
	}
	for k := range familyPatterns {
		p := patterns[k]
		if p.Key != k || p.Hardline || p.Description == "" || p.Category == "" {
			t.Errorf("pattern %s is %+v", k, p)
		}
		if count[k] < 3 {
			t.Errorf("key %s has %d families.txt lines, want at least 3", k, count[k])
		}
		if strings.HasPrefix(k, "hardline.") {
			t.Errorf("family key %s must not be hardline", k)
		}
	}
}

// TestInterpCodeBounded: code built to make the scanner work hard is
// still judged, and what is past its budget asks rather than passes.
func TestInterpCodeBounded(t *testing.T) {
	t.Parallel()
	nested := strings.Repeat("f(", 3000) + `os.system("rm -rf /")` + strings.Repeat(")", 3000)
	many := strings.Repeat(`os.system("ls");`, maxCodeCalls+1)
	cases := []struct {
		code string
		key  string // "" when the code is past the budget: blocked as unparseable
	}{
		{nested, "hardline.rm_root"},
		{many, ""},
		{strings.Repeat("exec(", 5000) + `"import os; os.system('rm -rf /')"` + strings.Repeat(")", 5000), ""},
		{strings.Repeat(`print("x");`, 3000) + `import os; os.system("rm -rf /")`, "hardline.rm_root"},
	}
	for _, tc := range cases {
		r := Scan("python3 -c "+quoteWords([]string{tc.code}), corpusOpts)
		if tc.key == "" {
			if r.Unparseable == nil || !strings.Contains(r.Unparseable.Error(), "blocked") {
				t.Errorf("%.40q...: got %v (unparseable %v), want blocked past the budget", tc.code, r.Keys(), r.Unparseable)
			}
			continue
		}
		if r.Unparseable != nil {
			t.Errorf("%.40q...: unparseable: %v", tc.code, r.Unparseable)
			continue
		}
		if !hasKey(r, tc.key) {
			t.Errorf("%.40q...: got %v, want %s", tc.code, r.Keys(), tc.key)
		}
	}
}

// TestSelfTamperHermesHome: a hermes home outside ~/.hermes is protected
// as well as ~/.hermes itself (and its profiles), reads stay allowed.
func TestSelfTamperHermesHome(t *testing.T) {
	t.Parallel()
	o := Options{Home: "/home/alice", Cwd: "/srv", HermesHome: "/srv/hh"}
	for _, tc := range []struct {
		cmd    string
		tamper bool
	}{
		{"echo x > /srv/hh/config.yaml", true},
		{"cd /srv && sed -i s/a/b/ hh/config.yaml", true},
		{"rm -rf /srv/hh/profiles/work/memories", true},
		{"cp x /srv/hh/profiles/work/SOUL.md", true},
		{"echo x > ~/.hermes/config.yaml", true},
		{"python3 -c 'open(\"/srv/hh/auth.json\", \"w\").write(\"{}\")'", true},
		{"cat /srv/hh/config.yaml", false},
		{"echo x > /srv/hh/logs/note.txt", false},
		{"rm -rf /srv/hh/profiles/work/cache", false},
		{"echo x > /srv/hhx/config.yaml", false},
	} {
		r := Scan(tc.cmd, o)
		if got := hasKey(r, "hermes.self_tamper"); got != tc.tamper {
			t.Errorf("%q: got %v, want hermes.self_tamper %v", tc.cmd, r.Keys(), tc.tamper)
		}
	}
}
