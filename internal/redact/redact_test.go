package redact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/testenv"
)

// leaked reports whether out still shows a 6-character piece of the part
// of secret that masking hides (all but the kept first 6 and last 4), from
// offset skip on.
func leaked(out, secret string, skip int) (string, bool) {
	for i := skip; i+6 <= len(secret)-4; i++ {
		if strings.Contains(out, secret[i:i+6]) {
			return secret[i : i+6], true
		}
	}
	return "", false
}

func TestFamiliesInContext(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	contexts := []struct{ name, tmpl string }{
		{"bare", "before SECRET after"},
		{"log", `2026-11-30T22:00:00Z ERROR call failed key=SECRET status=401`},
		{"json", `{"value": "SECRET", "n": 1}`},
		{"json-keyed", `{"api_key":"SECRET"}`},
		{"yaml", "  credential: SECRET"},
		{"env", "export SERVICE_TOKEN=SECRET"},
		{"env-quoted", `SERVICE_TOKEN="SECRET"`},
		{"url-query", "GET https://api.example.com/v1?q=1&token=SECRET HTTP/1.1"},
		{"header", "Authorization: Bearer SECRET"},
		{"x-api-key", "x-api-key: SECRET"},
		{"parens", "(SECRET)"},
		{"start", "SECRET"},
		{"zero-width", "before SEC\u200bRET after"},
		{"zero-width-many", "x \ufeffSE\u200cC\u200dR\u2060ET"},
		{"control", "before SEC\x00RET after"},
		{"ansi", "before \x1b[1mSEC\x1b[0mRET after"},
	}
	for fam, secret := range familySecrets {
		skip := 6
		if fam == "telegram" {
			skip = strings.IndexByte(secret, ':') + 7
		}
		for _, c := range contexts {
			t.Run(fam+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				half := len(secret) / 2
				in := strings.ReplaceAll(c.tmpl, "SEC", secret[:half])
				in = strings.ReplaceAll(in, "RET", secret[half:])
				out := r.String(in)
				if piece, bad := leaked(out, secret, skip); bad {
					t.Fatalf("String(%q) = %q: %q shows", in, out, piece)
				}
				for _, kept := range []string{"before ", " after", "api_key", "SERVICE_TOKEN=", "Bearer ", "x-api-key: ", "&token="} {
					if strings.Contains(in, kept) && !strings.Contains(out, kept) {
						t.Errorf("String(%q) = %q: lost %q around the secret", in, out, kept)
					}
				}
				if again := r.String(out); again != out {
					t.Errorf("not idempotent: %q then %q", out, again)
				}
			})
		}
	}
}

func TestRedactExact(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	proj := "sk-proj-aaaaaaaaaaaaaaaaaaaa9xQz"
	tests := []struct{ name, in, want string }{
		{"mask-long", "key " + proj, "key sk-pro...9xQz"},
		{"env", "OPENAI_API_KEY=" + proj, "OPENAI_API_KEY=sk-pro...9xQz"},
		{"env-short-value", "SUDO_PASSWORD=hunter2", "SUDO_PASSWORD=***"},
		{"env-spaces-value", "EMAIL_PASSWORD=correct horse", "EMAIL_PASSWORD=***"},
		{"export-single-quoted", "export DB_PASSWORD='p@ss w0rd'", "export DB_PASSWORD='***'"},
		{"json", `{"password": "hunter2", "user": "jane"}`, `{"password": "***", "user": "jane"}`},
		{"json-escaped-quote", `{"client_secret":"abc\"defghijklmnopqrstu"}`, `{"client_secret":"abc\"d...rstu"}`},
		{"json-nested-auth", `{"headers": {"Authorization": "Bearer abcdefghijklmnop1234"}}`, `{"headers": {"Authorization": "Bearer abcdef...1234"}}`},
		{"yaml", "    api_key: abcdefghij0123456789", "    api_key: abcdef...6789"},
		{"ini", "password = s3cr3tpass", "password = ***"},
		{"php", `'db_password' => 'hunter22',`, `'db_password' => '***',`},
		{"cli-flag", "mysql --password=hunter22 -h db", "mysql --password=*** -h db"},
		{"header-bearer", "Authorization: Bearer abcdefghijklmnop1234", "Authorization: Bearer abcdef...1234"},
		{"header-basic", "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", "Proxy-Authorization: Basic dXNlcj...ZA=="},
		{"header-token", "authorization: token abc123", "authorization: token ***"},
		{"header-raw", "Authorization: abcdefghijklmnop1234", "Authorization: abcdef...1234"},
		{"curl-header", `curl -H "Authorization: Bearer abcdefghijklmnop1234" https://x`, `curl -H "Authorization: Bearer abcdef...1234" https://x`},
		{"x-api-key", "X-Api-Key: abcdefghijklmnop1234", "X-Api-Key: abcdef...1234"},
		{"x-auth-token", "x-auth-token: abc123", "x-auth-token: ***"},
		{"api-key-header", "api-key: 0123456789abcdef0123", "api-key: 012345...0123"},
		{"bearer-anywhere", "sent bearer abcdefghijklmnop1234 upstream", "sent bearer abcdef...1234 upstream"},
		{"url-password", "postgres://admin:SuperSecretPass123@db:5432/app", "postgres://admin:SuperS...s123@db:5432/app"},
		{"url-password-short", "redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"},
		{"url-password-https", "git clone https://jane:abc123@git.example.com/x.git", "git clone https://jane:***@git.example.com/x.git"},
		{"query-access-token", "https://x/cb?access_token=abcDEF123456789012345&x=1", "https://x/cb?access_token=abcDEF...2345&x=1"},
		{"query-sig", "https://x/f?sig=abc123&se=2026", "https://x/f?sig=***&se=2026"},
		{"query-amz", "?X-Amz-Signature=3f1c2a9d8e7b6a5f4e3d2c1b&X-Amz-Date=1", "?X-Amz-Signature=3f1c2a...2c1b&X-Amz-Date=1"},
		{"query-client-secret", "&client_secret=hunter2", "&client_secret=***"},
		{"query-password", "?user=jane&password=hunter2#top", "?user=jane&password=***#top"},
		{"query-key-aiza", "maps?key=" + familySecrets["google"], "maps?key=" + Mask(familySecrets["google"])},
		{"telegram", "https://api.telegram.org/bot7012345678:AAF1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q/getMe", "https://api.telegram.org/bot7012345678:AAF1b2...5p6Q/getMe"},
		{"jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end", "token eyJhbG...dXJl end"},
		{"pem-inline", `"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"`, `"-----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY-----\n"`},
		{"zero-width-env", "API_KEY=abc\u200bdefghijklmnop1234", "API_KEY=abcdef...1234"},
		{"control-kept-outside", "\x1b[32mok\x1b[0m TOKEN=hunter22\r", "\x1b[32mok\x1b[0m TOKEN=***\r"},
		{"multi", "a=1 token=hunter22 b=2 secret=hunter33", "a=1 token=*** b=2 secret=***"},
		{"crlf", "PASSWORD=hunter22\r\nok\r\n", "PASSWORD=***\r\nok\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if got := string(r.Bytes([]byte(tt.in))); got != tt.want {
				t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := r.String(tt.want); again != tt.want {
				t.Errorf("not idempotent: %q became %q", tt.want, again)
			}
		})
	}
}

func TestUntouched(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	lines := []string{
		"token := lex()",
		"token, err := l.Next()",
		"if token == EOF {",
		"password_hint = user.password_hint",
		"apiKey: cfg.APIKey,",
		`api_key = os.environ["OPENAI_API_KEY"]`,
		`password = getpass.getpass("Password: ")`,
		"self.token = token",
		`headers = {"Authorization": f"Bearer {token}"}`,
		`{"token": token}`,
		"api_key: ${OPENAI_API_KEY}",
		"token: $TOKEN",
		"password: {{ .Values.password }}",
		"TOKENIZERS_PARALLELISM=false",
		"MAX_TOKENS=4096",
		"max_tokens: 4096",
		"auth: true",
		"password: null",
		"api_key: \"\"",
		"secret: ~",
		"PWD=/home/jane/src",
		"OLDPWD=/home/jane",
		"PATH=/usr/local/bin:/usr/bin",
		"API_KEY_FILE=/run/secrets/api_key",
		"token_url: https://auth.example.com/oauth/token",
		"Author: Jane Doe <jane@example.com>",
		"GIT_AUTHOR_NAME=Jane Doe",
		"--- PASS: TestToken (0.00s)",
		"key: got 1, want 2",
		"Use sk-1 or sk-abc in examples; sk- alone is a prefix.",
		"sk-this-is-a-long-slug-without-digits",
		"the ghp_ prefix marks a GitHub token",
		"a bearer of bad news",
		"Bearer authentication is described in RFC 6750",
		"commit 3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.txt",
		"123e4567-e89b-12d3-a456-426614174000",
		"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPMnyerVVsX1eqRhVsLmLdwG8rFbBfSXS+EapBcm1eXk jane@laptop",
		"https://example.com/docs?section=keys&page=2",
		"mailto:jane@example.com",
		"12:34:56 up 3 days",
		"-----BEGIN PUBLIC KEY-----",
		"-----BEGIN CERTIFICATE-----",
		"",
		"\t\t",
	}
	for _, in := range lines {
		if got := r.String(in); got != in {
			t.Errorf("String(%q) = %q, want it untouched", in, got)
		}
	}
}

func TestCleanCorpora(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	files, err := filepath.Glob("testdata/clean/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpora: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(string(in)); got != string(in) {
				t.Errorf("changed:\n%s", lineDiff(string(in), got))
			}
			var out strings.Builder
			if _, err := r.Copy(&out, strings.NewReader(string(in))); err != nil || out.String() != string(in) {
				t.Errorf("Copy changed it (err %v):\n%s", err, lineDiff(string(in), out.String()))
			}
		})
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	files, err := filepath.Glob("testdata/golden/*.in")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := r.String(string(in))
			testenv.Golden(t, strings.TrimSuffix(f, ".in")+".golden", got)
			if again := r.String(got); again != got {
				t.Errorf("not idempotent:\n%s", lineDiff(got, again))
			}
		})
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
		}
	}
	return b.String()
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "***"},
		{"short", "***"},
		{"sk-1234567890abcd", "***"},            // 17 characters
		{"sk-1234567890abcde", "sk-123...bcde"}, // 18 characters
		{"sk-proj-aaaaaaaaaaaaaaaaaaaa9xQz", "sk-pro...9xQz"},
		{"ключ-ключ-ключ-ключ-ключ", "ключ-к...ключ"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDetectors(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, d := range Detectors() {
		if d.ID == "" || d.Description == "" || seen[d.ID] {
			t.Errorf("bad or duplicate detector %+v", d)
		}
		seen[d.ID] = true
	}
	for _, id := range []string{"openai", "anthropic", "github", "gitlab", "slack", "aws", "jwt", "private-key", "telegram", "url-password", "query", "assignment"} {
		if !seen[id] {
			t.Errorf("detector %q missing", id)
		}
	}
}

func TestDisabled(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{Disabled: true})
	in := "OPENAI_API_KEY=" + familySecrets["openai"]
	if got := r.String(in); got != in {
		t.Errorf("disabled String changed %q to %q", in, got)
	}
	var b strings.Builder
	if _, err := r.Copy(&b, strings.NewReader(in)); err != nil || b.String() != in {
		t.Errorf("disabled Copy = %q, %v", b.String(), err)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{Extra: []string{`corp_[0-9]{8}`}})
	in := "a\x1b[1m GH_TOKEN=" + familySecrets["github-ghp"] + " corp_12345678\n-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n"
	want := r.String(in)
	done := make(chan string, 8)
	for range 8 {
		go func() {
			var b strings.Builder
			if _, err := r.Copy(&b, strings.NewReader(in)); err != nil {
				t.Error(err)
			}
			done <- r.String(in) + b.String()
		}()
	}
	for range 8 {
		if got := <-done; got != want+want {
			t.Errorf("concurrent result differs: %q", got)
		}
	}
}
