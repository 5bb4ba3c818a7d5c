package redact

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestScanLineSameAsReference: the fast scanLine and makeView give exactly
// what the straightforward byte-by-byte versions they replaced did, on every line of the
// test corpora and on edge cases.
func TestScanLineSameAsReference(t *testing.T) {
	t.Parallel()
	lines := [][]byte{{}, []byte("-"), []byte("-----"), []byte("----"), []byte("a -p x"), []byte("x\ty"), []byte("password\trequired"),
		[]byte("KEY"), []byte("k"), []byte("sk-proj-abc"), []byte("\x1b[31mred"), []byte("a\u200bb"), []byte("token=1&x=2?y@z:w")}
	files, _ := filepath.Glob("testdata/*/*")
	files = append(files, "testdata/tooloutput.txt")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		lines = append(lines, bytes.Split(b, []byte("\n"))...)
	}
	if len(lines) < 1000 {
		t.Fatalf("only %d lines: the corpora are missing", len(lines))
	}
	for _, l := range lines {
		checkScan(t, l)
	}
}

// checkScan compares scanLine and makeView with their references.
func checkScan(t *testing.T, l []byte) {
	t.Helper()
	if got, want := scanLine(l), scanLineRef(l); got != want {
		t.Errorf("%q: got %+v, want %+v", l, got, want)
	}
	v, idx := makeView(l, nil, nil)
	rv, ridx := makeViewRef(l)
	if !bytes.Equal(v, rv) || !slices.Equal(idx, ridx) {
		t.Errorf("%q: view %q %v, want %q %v", l, v, idx, rv, ridx)
	}
}

// makeViewRef is makeView without its printable-ASCII short path.
func makeViewRef(b []byte) (view []byte, idx []int) {
	for i := 0; i < len(b); {
		if n := hiddenAt(b[i:]); n > 0 {
			i += n
			continue
		}
		if b[i] == '\t' && tabInside(b, i) {
			i++
			continue
		}
		view = append(view, b[i])
		idx = append(idx, i)
		i++
	}
	return view, idx
}

func FuzzScanLine(f *testing.F) {
	f.Add([]byte("export OPENAI_API_KEY=sk-proj-Xk2mQ9vR4tL8wN1pZ6yB3cF7aa"))
	f.Add([]byte("-----BEGIN x\t-p\u200b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b)
	})
}

// scanLineRef is scanLine as it was before the word-byte short path: the
// reference the fast version must agree with.
func scanLineRef(b []byte) (li lineInfo) {
	run, dash := 0, 0
	prevWord := false
	for i, c := range b {
		f := classes[c]
		if f&cWord != 0 {
			if !prevWord && !li.cand && i+1 < len(b) {
				c2 := b[i+1]
				li.cand = startPair[c][c2>>6]>>(c2&63)&1 != 0
			}
			prevWord = true
		} else {
			prevWord = false
		}
		if f&cTok != 0 {
			run++
		} else {
			if run > li.run {
				li.run = run
			}
			run = 0
		}
		if f&(cMark|cKw|cOdd) == 0 {
			dash = 0
			continue
		}
		if c == '-' {
			if i+1 < len(b) && b[i+1] == 'p' && i > 0 && b[i-1] == ' ' {
				li.dashP = true
			}
			dash++
			if dash >= 5 {
				li.dash5 = true
			}
		} else {
			dash = 0
		}
		switch {
		case f&cKw != 0:
			if !li.kw && i+1 < len(b) && kwSecond[c|0x20]>>((b[i+1]|0x20)-'a')&1 != 0 && keywordAt(b[i:]) {
				li.kw = true
			}
		case c == '=':
			li.eq = true
		case c == ':':
			li.colon = true
		case c == '@':
			li.at = true
		case c == '?' || c == '&':
			li.query = true
		case f&cOdd != 0:
			if c == '\t' {
				li.tab = li.tab || tabInside(b, i)
			} else if c < 0x80 || invisibleAt(b[i:]) > 0 {
				li.odd = true
			}
		}
	}
	if run > li.run {
		li.run = run
	}
	// a tab inside a token joins it only where a token could start or a
	// ':' could precede one: columns such as "password\trequired\tpam_deny.so"
	// stay apart
	li.odd = li.odd || li.tab && (li.cand || li.colon)
	return li
}
