package webhooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzSignatureHeaders: the header parsers never panic, accept only what
// they document, and verification with a random header never passes.
func FuzzSignatureHeaders(f *testing.F) {
	for _, s := range []string{
		"sha256=" + strings.Repeat("ab", 32), "sha256=", "sha1=00", " sha256=" + strings.Repeat("0", 64) + " ",
		"v1," + base64.StdEncoding.EncodeToString(make([]byte, 32)), "v1a,xx v1,AAAA", "v1,,,", "Bearer x", "bearer  y ",
		"1800000000", "-1", "99999999999999999999",
	} {
		f.Add(s)
	}
	k, _ := newKeys("hmac", "secret")
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, v string) {
		if b, err := parseSHA256(v); err == nil {
			if len(b) != sha256.Size || !strings.Contains(strings.ToLower(v), hex.EncodeToString(b)) {
				t.Fatalf("parseSHA256(%q) = %x", v, b)
			}
		}
		if sigs, err := parseStandardSignatures(v); err == nil {
			if len(sigs) == 0 || len(sigs) > 16 {
				t.Fatalf("%d signatures from %q", len(sigs), v)
			}
			for _, s := range sigs {
				if len(s) != sha256.Size {
					t.Fatalf("signature of %d bytes from %q", len(s), v)
				}
			}
		}
		if tok, ok := parseBearer(v); ok && (tok == "" || !strings.Contains(v, tok)) {
			t.Fatalf("parseBearer(%q) = %q", v, tok)
		}
		if ts, err := parseUnix(v); err == nil && ts.Unix() < 0 {
			t.Fatalf("parseUnix(%q) = %v", v, ts)
		}
		for _, h := range []http.Header{
			{"X-Hub-Signature-256": {v}},
			{"Webhook-Id": {"id"}, "Webhook-Timestamp": {"1800000000"}, "Webhook-Signature": {v}},
			{"X-Hermes-Timestamp": {"1800000000"}, "X-Hermes-Signature-256": {v}},
		} {
			if _, err := k.verify(h, []byte("body"), now); err == nil {
				t.Fatalf("a random header %q verified", v)
			}
		}
	})
}

// FuzzFieldLookup: any path on any JSON renders without panicking; a
// present leaf renders inside the markers, a missing one renders empty.
func FuzzFieldLookup(f *testing.F) {
	f.Add(`{"a":{"b":[1,{"c":"x"}]}}`, "a.b.1.c")
	f.Add(`{"a":null}`, "a")
	f.Add(`[1,2,3]`, "2")
	f.Add(`"str"`, "")
	f.Add(`{"":{"":1}}`, ".")
	f.Add(`not json`, "a")
	p, err := parsePrompt("f", `{{field .Route}}`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc, path string) {
		payload := decodePayload([]byte(doc))
		out, err := p.render(tplData{Route: path}, payload, "N")
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		v, ok := lookup(payload, path)
		want := ""
		if ok {
			want = fieldString(v)
		}
		if want == "" {
			if out != "" {
				t.Fatalf("missing %q rendered %q", path, out)
			}
			return
		}
		if !strings.HasPrefix(out, "<<<EXTERNAL_UNTRUSTED_CONTENT id=N>>>\n") || !strings.HasSuffix(out, "\n<<<END_EXTERNAL_UNTRUSTED_CONTENT id=N>>>") {
			t.Fatalf("not marked: %q", out)
		}
		inner := out[len("<<<EXTERNAL_UNTRUSTED_CONTENT id=N>>>\n") : len(out)-len("\n<<<END_EXTERNAL_UNTRUSTED_CONTENT id=N>>>")]
		if bytes.Contains([]byte(inner), []byte("<<<")) {
			t.Fatalf("marker text inside: %q", inner)
		}
	})
}
