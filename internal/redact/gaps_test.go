package redact

import (
	"strings"
	"testing"
)

// gapSecrets are secrets in shapes and contexts that carry no secret-named
// label: each hides must be masked, whole, wherever it sits in in.
var gapSecrets = []struct{ name, in, hides string }{
	{"gitlab-pat", "remote: " + fake("glpat-", 20) + " ok", fake("glpat-", 20)},
	{"gitlab-oas", "x " + fake("gloas-", 64), fake("gloas-", 64)},
	{"gitlab-rtr", "x " + fake("glrtr-", 20), fake("glrtr-", 20)},
	{"gitlab-ptt", "x " + fake("glptt-", 40), fake("glptt-", 40)},
	{"gitlab-ft", "x " + fake("glft-", 20), fake("glft-", 20)},
	{"gitlab-agent", "x " + fake("glagent-", 50), fake("glagent-", 50)},
	{"gitlab-wt", "x " + fake("glwt-", 20), fake("glwt-", 20)},
	{"github-pat", "x " + fake("github_pat_", 82), fake("github_pat_", 82)},
	{"google", "x " + fake("AIza", 35) + " y", fake("AIza", 35)},
	{"agentmail", "x " + fake("am_", 64), fake("am_", 64)},
	{"age", "# " + "AGE-SECRET-KEY-1QQPQ9Z8Q5XJ3L7W4KQ2V6N0C8RSHJZ5M6T3U9Y2F4G7D8K0A1W3E5R7", "AGE-SECRET-KEY-1QQPQ9Z8Q5XJ3L7W4KQ2V6N0C8RSHJZ5M6T3U9Y2F4G7D8K0A1W3E5R7"},
	{"fireworks", "x " + fake("fw_", 24), fake("fw_", 24)},
	{"perplexity", "x " + fake("pplx-", 48), fake("pplx-", 48)},
	{"notion-ntn", "x " + fake("ntn_", 46), fake("ntn_", 46)},
	{"notion-secret", "x " + fake("secret_", 43), fake("secret_", 43)},
	{"npm", "x " + fake("npm_", 36), fake("npm_", 36)},
	{"hf", "x " + fake("hf_", 34), fake("hf_", 34)},
	{"xai", "x " + fake("xai-", 80), fake("xai-", 80)},
	{"groq", "x " + fake("gsk_", 52), fake("gsk_", 52)},
	{"stripe-rk", "x " + fake("rk_live_", 24), fake("rk_live_", 24)},
	{"stripe-whsec", "x " + fake("whsec_", 32), fake("whsec_", 32)},
	{"sendgrid", "x " + fake("SG.", 22) + "." + fake("", 43), fake("SG.", 22) + "." + fake("", 43)},
	{"digitalocean", "x " + fake("dop_v1_", 64), fake("dop_v1_", 64)},
	{"shopify", "x shpat_0123456789abcdef0123456789abcdef", "shpat_0123456789abcdef0123456789abcdef"},
	{"linear", "x " + fake("lin_api_", 40), fake("lin_api_", 40)},
	{"supabase", "x " + fake("sbp_", 40), fake("sbp_", 40)},
	{"databricks", "x dapi0123456789abcdef0123456789abcdef", "dapi0123456789abcdef0123456789abcdef"},
	{"slack-webhook", "POST https://hooks.slack.com/services/T00000000/B00000000/" + fake("", 24), "T00000000/B00000000/" + fake("", 24)},
	{"discord-webhook", "url=https://discord.com/api/webhooks/123456789012345678/" + fake("", 68), fake("", 68)},
	{"discordapp-webhook", "https://discordapp.com/api/webhooks/123456789012345678/" + fake("", 68) + "?wait=true", fake("", 68)},
	{"bare-sk-underscore", "2026-01-01 INFO using sk_" + fake("", 40) + " for call", "sk_" + fake("", 40)},
	{"bare-exa", "ERROR request failed with exa_" + fake("", 32), "exa_" + fake("", 32)},
	{"telegram-bare", "got 7012345678:AAF1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "AAF1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"},
	{"telegram-url", "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_/sendMessage", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_"},
	{"telegram-long", "bot 123456789:AA" + fake("", 40), "AA" + fake("", 40)},
	{"jwt-two-part", "got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0 ok", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"},
	{"jwt-header", "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 rest", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"},
	{"sk-in-query", "GET https://api.example.com/v1?model=x&k=sk-" + fake("", 40) + "&n=1", "sk-" + fake("", 40)},
	{"token-userinfo-oauth", "https://oauth2:" + fake("", 30) + "@gitlab.com/o/r.git", fake("", 30)},
}

// gapShapes are unlabelled shapes: command lines, cookies, .netrc, URLs.
var gapShapes = []struct{ name, in, hides string }{
	{"token-userinfo", "git clone https://" + fake("ghx", 40) + "@github.com/o/r.git", fake("ghx", 40)},
	{"mysql-p", "mysql -uroot -pS3cr3tPassw0rd mydb", "S3cr3tPassw0rd"},
	{"sshpass", "sshpass -p 'S3cr3tPassw0rd' ssh root@host", "S3cr3tPassw0rd"},
	{"sshpass-bare", "sshpass -p S3cr3tPassw0rd ssh root@host", "S3cr3tPassw0rd"},
	{"netrc", "machine api.example.com login jane password S3cr3tPassw0rd", "S3cr3tPassw0rd"},
	{"netrc-line", "  password S3cr3tPassw0rd", "S3cr3tPassw0rd"},
	{"cookie", "Cookie: sessionid=" + fake("", 32) + "; theme=dark", fake("", 32)},
	{"set-cookie", "Set-Cookie: session=" + fake("", 40) + "; Path=/; HttpOnly", fake("", 40)},
	{"set-cookie-lower", "set-cookie: _app_session=" + fake("", 40) + "; path=/", fake("", 40)},
	{"aws-secret", "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	{"aws-secret-csv", "jane,AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
}

func TestGapSecrets(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	for _, c := range append(gapSecrets[:len(gapSecrets):len(gapSecrets)], gapShapes...) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(c.in, c.hides) {
				t.Fatalf("bad case: %q not in %q", c.hides, c.in)
			}
			out := r.String(c.in)
			// fake tokens repeat, so a piece may show in the mask itself
			rest := strings.ReplaceAll(out, Mask(c.hides), "***")
			if piece, bad := leaked(rest, c.hides, 6); bad || strings.Contains(out, c.hides) {
				t.Fatalf("String(%q) = %q: %q shows", c.in, out, piece)
			}
			if again := r.String(out); again != out {
				t.Errorf("not idempotent: %q then %q", out, again)
			}
		})
	}
}

// splitters are invisible or control characters that may sit inside a key.
var splitters = []string{"\t", "\u00ad", "\u2062", "\u180e", "\u034f", "\u3164", "\ufe0f", "\U000e0041", "\U000e007f",
	"\u2028", "\u202e", "\u200b", "\u2060", "\ufeff", "\x00", "\x1b[0m"}

func TestSplitKeys(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	for fam, k := range familySecrets {
		skip := 6
		if fam == "telegram" {
			skip = strings.IndexByte(k, ':') + 7
		}
		for _, sp := range splitters {
			for _, at := range []int{skip + 4, len(k) / 2} {
				in := "use " + k[:at] + sp + k[at:] + " now"
				out := r.String(in)
				if piece, bad := leaked(out, k, skip); bad || strings.Contains(out, k[at:]) {
					t.Errorf("String(%q) = %q: %q shows", in, out, piece)
				}
				if !strings.HasPrefix(out, "use ") || !strings.HasSuffix(out, " now") {
					t.Errorf("String(%q) = %q: lost the context", in, out)
				}
			}
		}
	}
}

// gapClean is text that must stay as it is.
var gapClean = []string{
	"MY_API_KEY=os.getenv('OPENAI_API_KEY')",
	"SECRET_KEY_BASE=<%= ENV['SECRET_KEY_BASE'] %>",
	"SECRET_KEY_BASE=<%= ENV[\"SECRET_KEY_BASE\"] %>",
	"GOOGLE_APPLICATION_CREDENTIALS=/path/sa.json",
	"GOOGLE_APPLICATION_CREDENTIALS=/home/jane/.config/gcloud/sa.json",
	"public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPMnyerVVsX1eqRhVsLmLdwG8rFbBfSXS+EapBcm1eXk",
	"public_key: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 jane@laptop",
	"primary_key: id",
	"foreign_key: user_id",
	"sort_key: created_at",
	"cache_key: v1-deps-{{ checksum \"go.sum\" }}",
	"cache_key: v1-node-modules",
	"key: value",
	"partition_key: tenant_id",
	"the sk_ prefix marks a Stripe key",
	"exa_search is a tool name",
	"12:34:56.789 done",
	"eyJ is how a JWT starts",
	"https://github.com/hermes-go/hermes.git",
	"git@github.com:hermes-go/hermes.git",
	"mysql -u root -p mydb",
	"mysql -h db -P 3306 -u root -p",
	"the password is shown once",
	"Cookie: theme=dark; lang=en",
	"Set-Cookie: theme=dark; Path=/",
	"ls -la\ttotal 0",
	"soft\u00adware hyphen",
	"https://jane@github.com/o/r.git",
	"https://git@gitlab.com/o/r.git",
	"mysql -uroot -p mydb",
	"ssh -p 2222 root@host",
	"Enter password for user jane:",
	"Forgot your password? Reset it here",
	"Cookie: theme=dark; lang=en-US; tz=UTC",
	"eyJhbGci",
	"tea\tcoffee\tmilk",
	"\tpassword required\tpam_deny.so",
	"auth\trequired\tpam_unix.so",
	"# For a non-default password file location use the following line",
	"the flags mysql -p, ssh -p and scp -P differ",
	"sshpass -f ~/.pw ssh -p 2222 host",
	`return fmt.Errorf("reading the credentials: %w", err)`,
	"3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"https://hooks.slack.com/services/",
	"secret_sauce_recipe_for_everyone_to_read_here",
}

func TestGapClean(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	for _, in := range gapClean {
		if got := r.String(in); got != in {
			t.Errorf("String(%q) = %q, want it untouched", in, got)
		}
	}
}

func TestGapExact(t *testing.T) {
	t.Parallel()
	r := mustNew(t, Options{})
	tests := []struct{ in, want string }{
		{"?password=hunter22&username=bob&token=abc123", "?password=***&username=bob&token=***"},
		{"password=hunter22&username=bob&token=abc123", "password=***&username=bob&token=***"},
		{"POST body: password=hunter22&username=bob&token=abc123", "POST body: password=***&username=bob&token=***"},
		{"AKIAIOSFODNN7EXAMPLE 3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39", "AKIAIO...MPLE 3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"},
		{"Cookie: theme=dark; sessionid=abc123xyz", "Cookie: theme=dark; sessionid=***"},
		{"Set-Cookie: sid=abc123xyz; Path=/; Max-Age=3600", "Set-Cookie: sid=***; Path=/; Max-Age=3600"},
		{"mysql -h db -uroot -phunter22 app", "mysql -h db -uroot -p*** app"},
		{"sshpass -p hunter22 ssh -p 2222 root@host", "sshpass -p *** ssh -p 2222 root@host"},
		{"sshpass -phunter22 scp -P 2222 a root@host:", "sshpass -p*** scp -P 2222 a root@host:"},
		{"\tpassword required\tpam_deny.so", "\tpassword required\tpam_deny.so"},
		{"machine github.com login jane password hunter22", "machine github.com login jane password ***"},
		{"bot7012345678:AAF1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "bot7012345678:AAF1b2...5p6Q"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
