package redact

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func fuzzSeeds(f *testing.F) {
	for _, s := range familySecrets {
		f.Add("x "+s+" y", 0)
	}
	for _, s := range []string{
		"OPENAI_API_KEY=sk-proj-aaaaaaaaaaaaaaaaaaaa9xQz\nPWD=/x\n",
		`{"password": "hunter2", "api_key": "abc\"def"}`,
		"Authorization: Bearer abcdefghijklmnop1234\r\n",
		"postgres://u:p@h/db?sslmode=disable&password=x",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
		"a\u200bb\x1b[1mc\x00d",
		"token := lex()\n\n\n",
	} {
		f.Add(s, 7)
	}
}

// FuzzRedact: never panics; a vendor-prefixed secret put in the input
// never shows in the output; redacting twice equals redacting once.
func FuzzRedact(f *testing.F) {
	fuzzSeeds(f)
	r := mustNew(f, Options{})
	secrets := []string{familySecrets["openai-proj"], familySecrets["github-ghp"], familySecrets["anthropic"], familySecrets["groq"]}
	f.Fuzz(func(t *testing.T, in string, at int) {
		out := r.String(in)
		if again := r.String(out); again != out {
			t.Fatalf("not idempotent:\n in %q\nout %q\nagain %q", in, out, again)
		}
		if !utf8.ValidString(in) {
			return
		}
		// Plant a secret between two spaces at a rune boundary.
		pos := 0
		if len(in) > 0 {
			pos = (at%len(in) + len(in)) % len(in)
			for pos > 0 && !utf8.RuneStart(in[pos]) {
				pos--
			}
		}
		secret := secrets[(at&0xff)%len(secrets)]
		planted := in[:pos] + " " + secret + " " + in[pos:]
		got := r.String(planted)
		if piece, bad := leaked(got, secret, 6); bad && !strings.Contains(in, piece) {
			t.Fatalf("planted secret shows %q:\n in %q\nout %q", piece, planted, got)
		}
	})
}

// FuzzCopy: Copy and Writer give exactly String's output for any input,
// read one byte at a time or in halves, with the real and a tiny line cap.
func FuzzCopy(f *testing.F) {
	fuzzSeeds(f)
	base := mustNew(f, Options{})
	small := withCap(base, 32)
	f.Fuzz(func(t *testing.T, in string, at int) {
		for _, r := range []*Redactor{base, small} {
			want := r.String(in)
			var out bytes.Buffer
			if _, err := r.Copy(&out, iotest.OneByteReader(strings.NewReader(in))); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("cap %d: Copy differs\n in %q\ngot %q\nwant %q", r.maxLine, in, out.String(), want)
			}
			out.Reset()
			w := r.Writer(&out)
			step := 1 + (at&0xf)%7
			for i := 0; i < len(in); i += step {
				w.Write([]byte(in[i:min(i+step, len(in))]))
			}
			w.Close()
			if out.String() != want {
				t.Fatalf("cap %d: Writer differs\n in %q\ngot %q\nwant %q", r.maxLine, in, out.String(), want)
			}
		}
	})
}
