package redact

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// streamInputs mix secrets, PEM blocks, long lines and a missing final
// newline.
func streamInputs() map[string]string {
	pem := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBc2\nAoGBAM9x\n-----END EC PRIVATE KEY-----\n"
	long := strings.Repeat("word ", 400)
	return map[string]string{
		"empty":      "",
		"plain":      "hello\nworld\n",
		"no-newline": "OPENAI_API_KEY=" + familySecrets["openai"],
		"mixed":      "a\nGH_TOKEN=" + familySecrets["github-ghp"] + "\nb " + familySecrets["anthropic"] + " c\n",
		"pem":        "before\n" + pem + "after\n",
		"pem-cut":    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nnot base64: the key was cut\n",
		"long-line":  long + familySecrets["openai-proj"] + " " + long + "token=" + familySecrets["groq"] + " " + long + "\n",
		"crlf":       "PASSWORD=hunter22\r\nok\r\n",
		"zero-width": "x " + familySecrets["npm"][:10] + "\u200b" + familySecrets["npm"][10:] + "\n",
	}
}

func copyWith(t *testing.T, r *Redactor, src io.Reader) string {
	t.Helper()
	var out bytes.Buffer
	n, err := r.Copy(&out, src)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(out.Len()) {
		t.Errorf("Copy returned %d, wrote %d", n, out.Len())
	}
	return out.String()
}

func TestCopyEqualsString(t *testing.T) {
	t.Parallel()
	base := mustNew(t, Options{})
	for _, r := range []*Redactor{base, withCap(base, 64), withCap(base, 700)} {
		for name, in := range streamInputs() {
			want := r.String(in)
			readers := map[string]func() io.Reader{
				"whole":    func() io.Reader { return strings.NewReader(in) },
				"one-byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
				"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
				"data-err": func() io.Reader { return iotest.DataErrReader(strings.NewReader(in)) },
			}
			for rn, mk := range readers {
				if got := copyWith(t, r, mk()); got != want {
					t.Errorf("cap %d %s/%s: Copy differs from String\n got %q\nwant %q", r.maxLine, name, rn, got, want)
				}
			}
			var out bytes.Buffer
			w := r.Writer(&out)
			for i := 0; i < len(in); i += 3 {
				if _, err := w.Write([]byte(in[i:min(i+3, len(in))])); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Errorf("cap %d %s: Writer differs from String\n got %q\nwant %q", r.maxLine, name, out.String(), want)
			}
		}
	}
}

func TestCopySecretAcrossReads(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	secret := familySecrets["anthropic"]
	in := "key: " + secret + "\n"
	out := copyWith(t, r, iotest.OneByteReader(strings.NewReader(in)))
	if piece, bad := leaked(out, secret, 6); bad {
		t.Fatalf("Copy leaked %q: %q", piece, out)
	}
	if out != "key: "+Mask(secret)+"\n" {
		t.Errorf("Copy = %q", out)
	}
}

func TestCopyPlainIsIdentity(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	in := strings.Repeat("--- PASS: TestX (0.00s)\nok  \tpkg\t0.1s\n", 5000) + "no newline at end"
	if got := copyWith(t, r, iotest.HalfReader(strings.NewReader(in))); got != in {
		t.Error("Copy changed plain text")
	}
}

// TestLongLines puts secrets around the window cuts of lines far longer
// than the cap, real and small.
func TestLongLines(t *testing.T) {
	t.Parallel()
	base := mustNew(t, Options{})
	secrets := []string{familySecrets["openai-proj"], familySecrets["github-ghp"], familySecrets["aws-akia"], familySecrets["jwt"]}
	// every secret here is shorter than a quarter of the cap, so each fits
	// in a window whole
	for _, r := range []*Redactor{base, withCap(base, 600), withCap(base, 1111)} {
		var b strings.Builder
		filler := strings.Repeat("x", 37) + " "
		for b.Len() < 3*r.maxLine {
			for _, s := range secrets {
				b.WriteString(filler)
				b.WriteString("API_TOKEN=" + s + " ")
				b.WriteString(s + " ")
			}
		}
		b.WriteString(strings.Repeat("y", r.maxLine+17)) // a cut with no space at all
		b.WriteString(" " + secrets[0] + "\n")
		in := b.String()
		got := r.String(in)
		for _, s := range secrets {
			if piece, bad := leaked(got, s, 6); bad {
				t.Fatalf("cap %d: %q of %q shows", r.maxLine, piece, s)
			}
		}
		if !strings.HasPrefix(got, filler+"API_TOKEN=") || !strings.HasSuffix(got, "y "+Mask(secrets[0])+"\n") {
			t.Errorf("cap %d: context lost around the ends: %q ... %q", r.maxLine, got[:80], got[len(got)-80:])
		}
		if c := copyWith(t, r, iotest.HalfReader(strings.NewReader(in))); c != got {
			t.Errorf("cap %d: Copy differs from String on a long line", r.maxLine)
		}
	}
}

// TestSecretLongerThanWindow: a token longer than a whole window is
// masked in pieces, and its continuation is masked too.
func TestSecretLongerThanWindow(t *testing.T) {
	t.Parallel()
	r := withCap(mustNew(t, Options{}), 64)
	secret := fake("sk-proj-", 300)
	in := "x " + secret + " y\n"
	got := r.String(in)
	if piece, bad := leaked(got, secret, 6); bad {
		t.Fatalf("%q shows in %q", piece, got)
	}
	if !strings.HasPrefix(got, "x sk-pro") || !strings.HasSuffix(got, " y\n") {
		t.Errorf("context lost: %q", got)
	}
	if c := copyWith(t, r, iotest.OneByteReader(strings.NewReader(in))); c != got {
		t.Errorf("Copy %q differs from String %q", c, got)
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

func TestCopyErrors(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	if _, err := r.Copy(&failWriter{}, strings.NewReader("a\nb\n")); err == nil || err.Error() != "disk full" {
		t.Errorf("write error = %v", err)
	}
	readErr := errors.New("pipe broke")
	var out bytes.Buffer
	if _, err := r.Copy(&out, iotest.TimeoutReader(strings.NewReader("a\nb\n"))); err == nil {
		t.Error("read error swallowed")
	}
	if _, err := r.Copy(&out, iotest.ErrReader(readErr)); !errors.Is(err, readErr) {
		t.Errorf("read error = %v", err)
	}
	w := r.Writer(&out)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("write after Close succeeded")
	}
}

func TestWriterHoldsPartialLine(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	var out bytes.Buffer
	w := r.Writer(&out)
	secret := familySecrets["huggingface"]
	if _, err := w.Write([]byte("HF_TOKEN=" + secret[:10])); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("wrote %q before the line ended", out.String())
	}
	if _, err := w.Write([]byte(secret[10:] + "\nnext")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "HF_TOKEN="+Mask(secret)+"\n" {
		t.Errorf("after newline: %q", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\nnext") {
		t.Errorf("Close did not flush: %q", out.String())
	}
}
