package email

import (
	"strings"
	"testing"
)

// BenchmarkParseMail: a multipart mail with an alternative part and two
// attachments, parsed and quote-stripped.
func BenchmarkParseMail(b *testing.B) {
	raw := multipartMail("bench@mail.example.test")
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := parseMail(raw, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStripQuoted: a 200-line reply with a long quoted tail.
func BenchmarkStripQuoted(b *testing.B) {
	text := strings.Repeat("new text line\n", 20) + "On Mon, 1 Dec 2026, Hermes <h@x.test> wrote:\n" + strings.Repeat("> quoted line\n", 180)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = stripQuoted(text)
	}
}
