package redact

import (
	"strings"
	"testing"
)

// mixedChars has lower case, upper case and digits, like real tokens.
const mixedChars = "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eFxR"

// fake returns prefix followed by n token characters.
func fake(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := range n {
		b.WriteByte(mixedChars[(i*7+len(prefix))%len(mixedChars)])
	}
	return b.String()
}

func mustNew(t testing.TB, o Options) *Redactor {
	t.Helper()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// withCap returns a copy of r with a small line cap, to drive the window
// logic with short inputs.
func withCap(r *Redactor, n int) *Redactor {
	c := *r
	c.maxLine = n
	return &c
}

// familySecrets are real-shaped secrets of every vendor family.
var familySecrets = map[string]string{
	"openai":        fake("sk-", 48),
	"openai-proj":   fake("sk-proj-", 120),
	"openai-svc":    fake("sk-svcacct-", 60),
	"anthropic":     fake("sk-ant-api03-", 90),
	"openrouter":    fake("sk-or-v1-", 64),
	"github-ghp":    fake("ghp_", 36),
	"github-gho":    fake("gho_", 36),
	"github-ghu":    fake("ghu_", 36),
	"github-ghs":    fake("ghs_", 36),
	"github-ghr":    fake("ghr_", 36),
	"github-pat":    fake("github_pat_11ABCDEFG0_", 59),
	"gitlab-pat":    fake("glpat-", 20),
	"gitlab-deploy": fake("gldt-", 20),
	"gitlab-runner": fake("glrt-", 20),
	"gitlab-ptt":    fake("glptt-", 40),
	"gitlab-ft":     fake("glft-", 20),
	"gitlab-soat":   fake("glsoat-", 20),
	"gitlab-runreg": fake("GR1348941", 20),
	"slack-bot":     "xoxb-1234567890-0987654321-" + fake("", 24),
	"slack-user":    "xoxp-1234567890-0987654321-" + fake("", 24),
	"slack-app":     "xapp-1-A0123456789-" + fake("", 30),
	"google":        fake("AIza", 35),
	"aws-akia":      "AKIAIOSFODNN7EXAMPLE",
	"aws-asia":      "ASIA2ZXCVBNM4ASDFGHJ",
	"huggingface":   fake("hf_", 34),
	"replicate":     fake("r8_", 37),
	"npm":           fake("npm_", 36),
	"pypi":          fake("pypi-AgEIcHlwaS5vcmc", 60),
	"groq":          fake("gsk_", 52),
	"xai":           fake("xai-", 80),
	"perplexity":    fake("pplx-", 48),
	"tavily":        fake("tvly-", 32),
	"stripe-live":   fake("sk_live_", 24),
	"stripe-test":   fake("sk_test_", 24),
	"stripe-rk":     fake("rk_live_", 24),
	"stripe-pk":     fake("pk_live_", 24),
	"stripe-whsec":  fake("whsec_", 32),
	"sendgrid":      fake("SG.", 22) + "." + fake("", 43),
	"digitalocean":  fake("dop_v1_", 64),
	"fal":           fake("fal_", 32),
	"shopify":       "shpat_0123456789abcdef0123456789abcdef",
	"facebook":      fake("EAACEdEose0cBA", 40),
	"atlassian":     fake("ATATT3xFfGF0", 40),
	"vault":         fake("hvs.", 90),
	"linear":        fake("lin_api_", 40),
	"jwt":           "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
	"telegram":      "7012345678:AAF1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
	"discord":       "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe." + fake("", 38),
	"gitlab-oas":    fake("gloas-", 64),
	"gitlab-rtr":    fake("glrtr-", 20),
	"gitlab-agent":  fake("glagent-", 50),
	"gitlab-wt":     fake("glwt-", 20),
	"agentmail":     fake("am_", 48),
	"fireworks":     fake("fw_", 48),
	"notion-ntn":    fake("ntn_", 46),
	"notion-secret": fake("secret_", 43),
	"supabase":      fake("sbp_", 40),
	"exa":           fake("exa_", 36),
	"sk-underscore": fake("sk_", 40),
	"databricks":    "dapi0123456789abcdef0123456789abcdef",
	"jwt-two-part":  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
	"jwt-header":    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
}
