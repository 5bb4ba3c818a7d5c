package email

import (
	"strings"
	"testing"
)

func TestStripQuoted(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"plain", "hello\nthere", "hello\nthere"},
		{"gmail", "Yes please.\n\nOn Mon, Dec 1, 2026 at 10:00 AM Hermes <h@x.test> wrote:\n> Shall I?\n> ok", "Yes please."},
		{"folded attribution", "Sure.\n\nOn Mon, Dec 1, 2026 at 10:00 AM Hermes\n<h@x.test> wrote:\n> Shall I?", "Sure."},
		{"outlook", "Fine.\r\n\r\n-----Original Message-----\r\nFrom: Hermes\r\n", "Fine."},
		{"german", "Ja.\n\nAm 01.12.2026 um 10:00 schrieb Hermes <h@x.test>:\n> Soll ich?", "Ja."},
		{"french", "Oui.\n\nLe 1 déc. 2026 à 10:00, Hermes <h@x.test> a écrit :\n> ?", "Oui."},
		{"signature", "Thanks\n-- \nAlice\nCEO", "Thanks"},
		{"trailing quote", "answer\n> old line\n>\n", "answer"},
		{"interleaved only", "On Mon, Hermes wrote:\n> q1\nmy answer\n> q2", "On Mon, Hermes wrote:\n> q1\nmy answer\n> q2"},
		{"not an attribution", "On second thought, keep it.", "On second thought, keep it."},
	}
	for _, tc := range cases {
		if got := stripQuoted(tc.in); got != tc.want {
			t.Errorf("%s: stripQuoted = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCommandOf(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"approve", "/approve"},
		{"Approve.\n\nSent from my phone", "/approve"},
		{"APPROVE ALL", "/approve all"},
		{"approve all!", "/approve all"},
		{"deny", "/deny"},
		{"Deny: too risky", "/deny too risky"},
		{"deny it, use a dry run", "/deny it, use a dry run"},
		{"/new\nthanks", "/new"},
		{"approve of the plan, go on", "approve of the plan, go on"},
		{"I approve", "I approve"},
		{"denying is wrong", "denying is wrong"},
	}
	for _, tc := range cases {
		if got := commandOf(tc.in); got != tc.want {
			t.Errorf("commandOf(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, ct, want string }{
		{"report.pdf", "application/pdf", "report.pdf"},
		{"../../etc/passwd", "", "passwd"},
		{`..\..\windows\evil.exe`, "", "evil.exe"},
		{".bashrc", "", "bashrc"},
		{"..", "", "attachment"},
		{"", "text/csv", "attachment.csv"},
		{"a b;rm -rf $(x).txt", "", "a_b_rm_-rf__(x).txt"},
		{"über\x00\x1b[31m.txt", "", "über___31m.txt"},
		{"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=", "", "résumé.pdf"},
		{strings.Repeat("x", 300) + ".tar.gz", "", strings.Repeat("x", 97) + ".gz"},
	}
	for _, tc := range cases {
		if got := sanitizeName(tc.in, tc.ct); got != tc.want {
			t.Errorf("sanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAuthFailure(t *testing.T) {
	t.Parallel()
	fail := "mx.example.test; dkim=fail header.d=example.test"
	pass := "mx.example.test; dkim=pass header.d=example.test; spf=pass smtp.mailfrom=example.test"
	cases := []struct {
		name     string
		values   []string
		authserv string
		want     string
	}{
		{"none", nil, "", ""},
		{"pass", []string{pass}, "", ""},
		{"dkim fail", []string{fail}, "", "dkim=fail"},
		{"spf fail", []string{"mx.example.test; spf=fail smtp.mailfrom=x.test"}, "", "spf=fail"},
		{"spf softfail is not fail", []string{"mx.example.test; spf=softfail smtp.mailfrom=x.test"}, "", ""},
		{"dmarc fail", []string{"mx.example.test; dmarc=fail header.from=x.test"}, "", "dmarc=fail"},
		// A sender's own header sits below the server's: not trusted.
		{"forged pass below a fail", []string{fail, pass}, "", "dkim=fail"},
		{"sender's fail below a pass", []string{pass, fail}, "", ""},
		{"authserv picks its own", []string{"evil.test; dkim=pass", fail}, "mx.example.test", "dkim=fail"},
		{"authserv ignores others", []string{"evil.test; dkim=fail"}, "mx.example.test", ""},
	}
	for _, tc := range cases {
		if got, _ := authFailure(tc.values, tc.authserv); got != tc.want {
			t.Errorf("%s: authFailure = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseMail(t *testing.T) {
	t.Parallel()
	html := "From: Bob <BOB@Example.test>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <b1@x.test>\r\nIn-Reply-To: <a1@x.test>\r\n" +
		"References: <r0@x.test> <a1@x.test>\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<html><head><style>p{}</style></head><body><p>Gr\xfc\xdfe</p><script>x()</script><p>zwei</p></body></html>"
	m, err := parseMail([]byte(html), "")
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "bob@example.test" || m.FromName != "Bob" || m.Subject != "Grüße" || m.MsgID != "b1@x.test" ||
		m.InReplyTo[0] != "a1@x.test" || len(m.Refs) != 2 || m.Text != "Grüße\n\nzwei" {
		t.Fatalf("parsed %+v", m)
	}
	for _, bad := range []string{"", "Subject: no from\r\n\r\nx", "From: a@x.test, b@x.test\r\n\r\nx"} {
		if _, err := parseMail([]byte(bad), ""); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
	// Kelvin sign: not folded into a listed ASCII address.
	k, err := parseMail([]byte("From: \u212Aate@example.test\r\n\r\nhi"), "")
	if err == nil && k.From == "kate@example.test" {
		t.Fatal("a Unicode look-alike was folded into kate@example.test")
	}
}

func TestBaseSubject(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Re: Re: hi": "hi", "RE[2]: Fwd: x": "x", "AW: y": "y", "Regarding": "Regarding", "  a   b ": "a b"} {
		if got := baseSubject(in); got != want {
			t.Errorf("baseSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseMail(f *testing.F) {
	f.Add(multipartMail("f@x.test"))
	f.Add([]byte("From: a@x.test\r\nAuthentication-Results: mx; dkim=fail\r\n\r\nOn x wrote:\r\n> y"))
	f.Add([]byte("From: a@x.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Disposition: attachment; filename=../x\r\n\r\nz\r\n--b--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := parseMail(raw, "")
		if err != nil {
			return
		}
		if len(m.Text) > maxText+64 {
			t.Fatalf("text of %d bytes", len(m.Text))
		}
		for _, a := range m.Files {
			n := sanitizeName(a.Name, a.Type)
			if n == "" || strings.ContainsAny(n, "/\\\x00") || strings.HasPrefix(n, ".") || len(n) > 110 {
				t.Fatalf("unsafe name %q from %q", n, a.Name)
			}
		}
		_ = commandOf(m.Text)
	})
}

func FuzzStripQuoted(f *testing.F) {
	f.Add("Yes.\n\nOn Mon, X wrote:\n> q")
	f.Add("On a\nb wrote:\n")
	f.Fuzz(func(t *testing.T, s string) {
		out := stripQuoted(s)
		if len(out) > len(s) {
			t.Fatalf("stripQuoted grew %q to %q", s, out)
		}
	})
}
