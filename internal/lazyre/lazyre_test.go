package lazyre

import (
	"regexp"
	"testing"
)

func TestSameAsRegexp(t *testing.T) {
	t.Parallel()
	const src = `(?i)\b(sk|pk)-([a-z0-9]{4,})`
	lz, rx := New(src), regexp.MustCompile(src)
	for _, s := range []string{"", "sk-abcd and PK-12345", "nothing", "sk-ab"} {
		if lz.MatchString(s) != rx.MatchString(s) {
			t.Errorf("MatchString(%q) differs", s)
		}
		if got, want := lz.FindAllStringSubmatchIndex(s, -1), rx.FindAllStringSubmatchIndex(s, -1); len(got) != len(want) {
			t.Errorf("FindAllStringSubmatchIndex(%q) = %v, want %v", s, got, want)
		}
		if lz.ReplaceAllString(s, "x") != rx.ReplaceAllString(s, "x") {
			t.Errorf("ReplaceAllString(%q) differs", s)
		}
	}
	first := lz.Re()
	if lz.String() != src || lz.Re() != first {
		t.Error("String, or Re compiled twice")
	}
}

func TestBadExpressionPanicsOnUse(t *testing.T) {
	t.Parallel()
	r := New(`(`) // no panic here
	defer func() {
		if recover() == nil {
			t.Error("want a panic on first use")
		}
	}()
	r.MatchString("x")
}
