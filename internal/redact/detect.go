package redact

import (
	"bytes"
	"strings"

	"github.com/hermes-go/hermes/internal/lazyre"
)

// Detector names one built-in detector, for documentation.
type Detector struct {
	ID          string
	Description string
}

// match is one finding in the scanned text: [s,e) is the secret, [cs,ce)
// the whole match with its context (a window is never cut inside it).
// full masks the secret as "***" whatever its length.
type match struct {
	s, e   int
	cs, ce int
	full   bool
}

// detector is one built-in rule. A line is given to it only when the
// cheap gates pass: the longest token run is at least minRun, one of lits
// occurs (when there are any), and gate (when set) accepts the scan.
type detector struct {
	id, desc string
	lits     []string // perRun: what the token starts with; else: what the line contains
	minRun   int
	gate     func(li *lineInfo) bool
	foldLit  string         // when set, must occur ignoring ASCII case
	re       *lazyre.Regexp // group 1, when present, is the secret
	random   bool           // the secret must mix two of lower, upper and digits
	perRun   bool           // the secret is one run of token bytes: match runs, not the line
	find     func(text []byte, cont bool, add func(match))
}

// vendor builds a detector for a prefixed vendor token.
func vendor(id, desc, re string, minRun int, random bool, lits ...string) *detector {
	return &detector{id: id, desc: desc, lits: lits, minRun: minRun, re: lazyre.New(re), random: random, perRun: true}
}

var builtins = []*detector{
	vendor("anthropic", "Anthropic API keys (sk-ant-...)", `\bsk-ant-[A-Za-z0-9_-]{20,}`, 27, true, "sk-ant-"),
	vendor("openrouter", "OpenRouter keys (sk-or-v1-...)", `\bsk-or-v1-[A-Za-z0-9]{20,}`, 29, true, "sk-or-"),
	vendor("openai", "OpenAI keys (sk-, sk-proj-, sk-svcacct-, sk-admin-)", `\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}`, 23, true, "sk-"),
	vendor("github", "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)", `\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`, 40, true, "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
	vendor("gitlab", "GitLab tokens (glpat-, gldt-, glrt-, glrtr-, glptt-, glft-, glsoat-, glcbt-, glimt-, glagent-, gloas-, glffct-, glwt-, GR1348941)", `\b(?:gl(?:pat|dt|rtr|rt|ptt|ft|soat|cbt|imt|agent|oas|ffct|wt)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})`, 24, true, "glpat-", "gldt-", "glrt-", "glrtr-", "glptt-", "glft-", "glsoat-", "glcbt-", "glimt-", "glagent-", "gloas-", "glffct-", "glwt-", "GR1348941"),
	vendor("slack", "Slack tokens (xoxb-, xoxa-, xoxp-, xoxr-, xoxs-, xoxe-, xapp-)", `\b(?:xox[abeprs]-[A-Za-z0-9-]{15,}|xapp-[0-9]-[A-Za-z0-9-]{15,})`, 20, true, "xox", "xapp-"),
	vendor("google", "Google API keys (AIza...)", `\bAIza[0-9A-Za-z_-]{35}`, 39, false, "AIza"),
	vendor("aws", "AWS access key ids (AKIA, ASIA and the other 4-letter kinds + 16)", `\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|AROA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b`, 20, false, "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "AROA", "ANPA", "ANVA", "APKA"),
	vendor("huggingface", "Hugging Face tokens (hf_...)", `\bhf_[A-Za-z0-9]{30,}`, 33, true, "hf_"),
	vendor("replicate", "Replicate tokens (r8_...)", `\br8_[A-Za-z0-9]{30,}`, 33, true, "r8_"),
	vendor("npm", "npm tokens (npm_...)", `\bnpm_[A-Za-z0-9]{36,}`, 40, true, "npm_"),
	vendor("pypi", "PyPI tokens (pypi-...)", `\bpypi-[A-Za-z0-9_-]{50,}`, 55, true, "pypi-"),
	vendor("groq", "Groq keys (gsk_...)", `\bgsk_[A-Za-z0-9]{40,}`, 44, true, "gsk_"),
	vendor("xai", "xAI keys (xai-...)", `\bxai-[A-Za-z0-9]{40,}`, 44, true, "xai-"),
	vendor("perplexity", "Perplexity keys (pplx-...)", `\bpplx-[A-Za-z0-9]{32,}`, 37, true, "pplx-"),
	vendor("tavily", "Tavily keys (tvly-...)", `\btvly-[A-Za-z0-9_-]{20,}`, 25, true, "tvly-"),
	vendor("stripe", "Stripe keys (sk_live_, sk_test_, rk_live_, rk_test_, pk_live_, pk_test_, whsec_)", `\b(?:[srp]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9+/=]{24,})`, 24, true, "sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_"),
	vendor("sendgrid", "SendGrid keys (SG.x.y)", `\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`, 36, true, "SG."),
	vendor("digitalocean", "DigitalOcean tokens (dop_v1_, doo_v1_, dor_v1_)", `\bdo[opr]_v1_[A-Za-z0-9]{40,}`, 47, true, "dop_v1_", "doo_v1_", "dor_v1_"),
	vendor("fal", "fal.ai keys (fal_...)", `\bfal_[A-Za-z0-9_-]{20,}`, 24, true, "fal_"),
	vendor("shopify", "Shopify tokens (shpat_, shpss_, shpca_, shppa_)", `\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32,}`, 38, true, "shpat_", "shpss_", "shpca_", "shppa_"),
	vendor("facebook", "Facebook/Meta access tokens (EAA...)", `\bEAA[A-Za-z0-9]{30,}`, 33, true, "EAA"),
	vendor("atlassian", "Atlassian API tokens (ATATT3..., ATCTT3...)", `\bAT[AC]TT3[A-Za-z0-9_=-]{30,}`, 36, true, "ATATT3", "ATCTT3"),
	vendor("vault", "HashiCorp Vault tokens (hvs., hvb., hvr.)", `\bhv[sbr]\.[A-Za-z0-9_-]{24,}`, 28, true, "hvs.", "hvb.", "hvr."),
	vendor("age", "age secret keys (AGE-SECRET-KEY-1...)", `\bAGE-SECRET-KEY-1[0-9A-Z]{50,}`, 60, false, "AGE-SECRET-KEY-1"),
	vendor("linear", "Linear API keys (lin_api_...)", `\blin_api_[A-Za-z0-9]{32,}`, 40, true, "lin_api_"),
	vendor("grafana", "Grafana tokens (glc_, glsa_)", `\b(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})`, 36, true, "glc_", "glsa_"),
	vendor("databricks", "Databricks tokens (dapi...)", `\bdapi[a-f0-9]{32}\b`, 36, true, "dapi"),
	vendor("agentmail", "AgentMail keys (am_...)", `\bam_[A-Za-z0-9]{32,}`, 35, true, "am_"),
	vendor("fireworks", "Fireworks keys (fw_...)", `\bfw_[A-Za-z0-9]{20,}`, 23, true, "fw_"),
	vendor("notion", "Notion tokens (ntn_..., secret_...)", `\b(?:ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{40,})`, 44, true, "ntn_", "secret_"),
	vendor("supabase", "Supabase tokens (sbp_...)", `\bsbp_[A-Za-z0-9]{40,}`, 44, true, "sbp_"),
	vendor("exa", "Exa keys (exa_...)", `\bexa_[A-Za-z0-9-]{24,}`, 28, true, "exa_"),
	vendor("sk-underscore", "bare secret keys (sk_...)", `\bsk_[A-Za-z0-9]{24,}`, 27, true, "sk_"),
	vendor("square", "Square tokens (sq0atp-, sq0csp-, EAAA)", `\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,}`, 29, true, "sq0atp-", "sq0csp-"),
	{
		id: "jwt", desc: "JSON Web Tokens (eyJ....eyJ....signature, two parts, or a bare header)", lits: []string{"eyJ"}, minRun: 24, perRun: true,
		re: lazyre.New(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?|\beyJ(?:hbGci|0eXAi|raWQi)[A-Za-z0-9_-]{12,}`),
	},
	{
		id: "telegram", desc: "Telegram bot tokens (digits:35 characters)", minRun: 35,
		gate: func(li *lineInfo) bool { return li.colon },
		find: findTelegram,
	},
	{
		id: "discord", desc: "Discord bot tokens (id.timestamp.hmac)", minRun: 59, perRun: true, lits: []string{"M", "N", "O"},
		re:     lazyre.New(`\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b`),
		random: true,
	},
	{
		id: "webhook", desc: "Slack and Discord webhook URLs (hooks.slack.com/services/..., discord.com/api/webhooks/ID/TOKEN)",
		minRun: 30, gate: func(li *lineInfo) bool { return li.colon }, lits: []string{"hooks.slack.com/", "/api/webhooks/"},
		re: lazyre.New(`hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]{20,})|discord(?:app)?\.com/api/webhooks/[0-9]+/([A-Za-z0-9_-]{20,})`),
	},
	{
		id: "aws-secret", desc: "AWS secret access keys (40 characters) on a line with an access key id",
		minRun: 40, lits: []string{"AKIA", "ASIA"}, find: findAWSSecret,
	},
	{
		id: "cli-password", desc: "passwords on command lines (mysql -pPASS, sshpass -p PASS)",
		gate: func(li *lineInfo) bool { return li.dashP }, lits: []string{"mysql", "mariadb", "sshpass"},
		find: findCLIPassword,
	},
	{
		id: "netrc", desc: ".netrc passwords (machine host login user password PASS)",
		gate: func(li *lineInfo) bool { return li.kw }, lits: []string{"password"},
		find: findNetrc,
	},
	{
		id: "cookie", desc: "session values in Cookie and Set-Cookie headers",
		minRun: 8, gate: func(li *lineInfo) bool { return li.colon && li.eq }, lits: []string{"ookie", "OOKIE"},
		find: findCookies,
	},
	{
		id: "private-key", desc: "PEM private key blocks (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP): the body between BEGIN and END",
		gate: func(li *lineInfo) bool { return li.dash5 }, lits: []string{"-----BEGIN"},
		// the body up to END, or to the end of the line when END comes later
		re: lazyre.New(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)`),
	},
	{
		id: "url-password", desc: "passwords in URLs (scheme://user:PASSWORD@host)",
		gate: func(li *lineInfo) bool { return li.at && li.colon }, lits: []string{"://"},
		find: findURLPasswords,
	},
	{
		id: "query", desc: "sensitive query parameters (access_token, refresh_token, id_token, api_key, client_secret, token, signature, sig, X-Amz-Signature, password, secret, auth, ...)",
		gate: func(li *lineInfo) bool { return li.kw && li.eq && li.query },
		find: findQuery,
	},
	{
		id: "bearer", desc: "Bearer tokens anywhere in text (Bearer <token>)",
		gate: func(li *lineInfo) bool { return li.kw }, foldLit: "bearer",
		find: findBearer,
	},
	{
		id: "assignment", desc: "KEY=value and KEY: value assignments, JSON fields and headers (Authorization, Proxy-Authorization, X-Api-Key, ...) whose name says KEY, TOKEN, SECRET, PASSWORD, PASSWD, PWD, CREDENTIAL or AUTH",
		gate: func(li *lineInfo) bool { return li.kw && (li.eq || li.colon) },
		find: findAssignments,
	},
}

// Detectors lists the built-in detectors.
func Detectors() []Detector {
	out := make([]Detector, len(builtins))
	for i, d := range builtins {
		out[i] = Detector{ID: d.id, Description: d.desc}
	}
	return out
}

func (d *detector) wants(text []byte, li *lineInfo) bool {
	if li.run < d.minRun || d.gate != nil && !d.gate(li) {
		return false
	}
	if d.foldLit != "" && !containsFold(text, d.foldLit) {
		return false
	}
	if len(d.lits) == 0 {
		return true
	}
	for _, l := range d.lits {
		if bytes.Contains(text, []byte(l)) {
			return true
		}
	}
	return false
}

// run adds the detector's matches in text; cont is set when text
// continues a line.
func (d *detector) run(text []byte, cont bool, add func(match)) {
	switch {
	case d.find != nil:
		d.find(text, cont, add)
	default:
		d.match(text, 0, len(text), add)
	}
}

// startIndex lists, by first byte, the token detectors whose tokens start
// with a literal: one pass over a line's token runs finds every candidate.
type startEntry struct {
	lit string
	d   *detector
}

var (
	startIndex  [256][]startEntry
	startPair   [256][4]uint64 // second bytes of the literals, by first byte
	minTokenRun = 1 << 30
)

func init() {
	for _, d := range builtins {
		if !d.perRun {
			continue
		}
		minTokenRun = min(minTokenRun, d.minRun)
		for _, l := range d.lits {
			startIndex[l[0]] = append(startIndex[l[0]], startEntry{l, d})
			if len(l) == 1 {
				startPair[l[0]] = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
			} else {
				startPair[l[0]][l[1]>>6] |= 1 << (l[1] & 63)
			}
		}
	}
}

func wordByte(c byte) bool { return classes[c]&cWord != 0 }

// findTokens runs the token detectors: in each run of token bytes long
// enough, at each word start, the detectors whose literal starts there.
func findTokens(text []byte, add func(match)) {
	for i := 0; i < len(text); {
		if classes[text[i]]&cTok == 0 {
			i++
			continue
		}
		j := i
		for j < len(text) && classes[text[j]]&cTok != 0 {
			j++
		}
		if j-i >= minTokenRun {
			for p := i; p < j; p++ {
				if p > i && wordByte(text[p-1]) || p+1 == j {
					continue
				}
				if c2 := text[p+1]; startPair[text[p]][c2>>6]>>(c2&63)&1 == 0 {
					continue
				}
				for _, e := range startIndex[text[p]] {
					if j-p >= e.d.minRun && len(e.lit) <= j-p && string(text[p:p+len(e.lit)]) == e.lit {
						e.d.matchAt(text, p, j, add)
					}
				}
			}
		}
		i = j
	}
}

// matchAt adds d's match in text[p:end] when it starts at p.
func (d *detector) matchAt(text []byte, p, end int, add func(match)) {
	loc := d.re.FindSubmatchIndex(text[p:end])
	if loc == nil || loc[0] != 0 {
		return
	}
	m := match{s: p + loc[0], e: p + loc[1], cs: p + loc[0], ce: p + loc[1]}
	if len(loc) >= 4 && loc[2] >= 0 {
		m.s, m.e = p+loc[2], p+loc[3]
	}
	if !d.random || mixed(text[m.s:m.e]) {
		add(m)
	}
}

// match adds the matches of d.re in text[from:to], in text offsets.
func (d *detector) match(text []byte, from, to int, add func(match)) {
	for _, loc := range d.re.FindAllSubmatchIndex(text[from:to], -1) {
		for k := range loc {
			if loc[k] >= 0 {
				loc[k] += from
			}
		}
		m := match{s: loc[0], e: loc[1], cs: loc[0], ce: loc[1]}
		for g := 2; g+1 < len(loc); g += 2 {
			if loc[g] >= 0 { // the first group that took part is the secret
				m.s, m.e = loc[g], loc[g+1]
				break
			}
		}
		if len(bytes.TrimSpace(text[m.s:m.e])) == 0 {
			continue
		}
		if d.random && !mixed(text[m.s:m.e]) {
			continue
		}
		if d.id == "private-key" {
			m.full = true
		}
		add(m)
	}
}

// mixed reports whether b has at least two of lower-case letters,
// upper-case letters and digits: random tokens do, slugs and words don't.
func mixed(b []byte) bool {
	var lo, up, di int
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			lo = 1
		case c >= 'A' && c <= 'Z':
			up = 1
		case c >= '0' && c <= '9':
			di = 1
		}
	}
	return lo+up+di >= 2
}

// containsFold reports whether b contains the lower-case ASCII word k,
// ignoring case.
func containsFold(b []byte, k string) bool {
	for i := 0; i+len(k) <= len(b); i++ {
		if b[i]|0x20 == k[0] && foldPrefix(b[i:], k) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// findTelegram finds bot tokens: 8 to 10 digits, ':', then exactly 35
// token characters. Only the part after ':' is masked.
func findTelegram(text []byte, _ bool, add func(match)) {
	for j := 8; j < len(text); j++ {
		if text[j] != ':' || !isDigit(text[j-1]) {
			continue
		}
		d := j
		for d > 0 && isDigit(text[d-1]) {
			d--
		}
		if n := j - d; n < 8 || n > 10 {
			continue
		}
		e := j + 1
		for e < len(text) && (text[e] == '_' || text[e] == '-' || isDigit(text[e]) || text[e]|0x20 >= 'a' && text[e]|0x20 <= 'z') {
			e++
		}
		if n := e - j - 1; (n == 35 || n > 35 && n <= 64 && text[j+1] == 'A' && text[j+2] == 'A') && mixed(text[j+1:e]) {
			add(match{s: j + 1, e: e, cs: d, ce: e})
		}
	}
}

// findURLPasswords finds scheme://user:PASSWORD@host and masks only the
// password.
func findURLPasswords(text []byte, _ bool, add func(match)) {
	for off := 0; ; {
		k := bytes.Index(text[off:], []byte("://"))
		if k < 0 {
			return
		}
		at := off + k
		off = at + 3
		if at == 0 || classes[text[at-1]]&cTok == 0 {
			continue // no scheme
		}
		end := off
		for end < len(text) && strings.IndexByte(" \t/?#\"'<>@", text[end]) < 0 {
			end++
		}
		if end == len(text) || text[end] != '@' {
			continue
		}
		colon := bytes.IndexByte(text[off:end], ':')
		if colon < 0 {
			// https://TOKEN@host: a token alone as the user
			if u := text[off:end]; len(u) >= 20 && mixed(u) && tokenOnly(u) {
				add(match{s: off, e: end, cs: at, ce: end + 1})
			}
			continue
		}
		if off+colon+1 == end {
			continue
		}
		add(match{s: off + colon + 1, e: end, cs: at, ce: end + 1})
	}
}

// queryParams are the sensitive query parameter names, lower case.
var queryParams = setOf("access_token", "refresh_token", "id_token", "auth_token", "api_key", "api-key",
	"apikey", "client_secret", "token", "signature", "sig", "x-amz-signature", "x-amz-credential",
	"x-amz-security-token", "x-goog-signature", "x-goog-credential", "password", "passwd", "pwd", "secret",
	"auth", "private_token", "session_token")

// findQuery masks the values of sensitive query parameters (?token=...,
// &X-Amz-Signature=...), except a reference such as ${VAR}.
func findQuery(text []byte, _ bool, add func(match)) {
	for i := 0; i < len(text); i++ {
		if c := text[i]; c != '?' && c != '&' && c != ';' {
			continue
		}
		eq := i + 1
		for eq < len(text) && eq-i <= 24 && nameByte(text[eq]) {
			eq++
		}
		if eq == i+1 || eq >= len(text) || text[eq] != '=' || !queryParams[strings.ToLower(string(text[i+1:eq]))] {
			continue
		}
		e := eq + 1
		for e < len(text) && strings.IndexByte("&#\"'<> \t\r", text[e]) < 0 && text[e] >= 0x20 {
			e++
		}
		if e > eq+1 && !isReference(text[eq+1:e]) {
			add(match{s: eq + 1, e: e, cs: i, ce: e})
			i = e - 1
		}
	}
}

// findBearer masks "Bearer <token>" anywhere: a token of 16 or more
// characters that mixes letters and digits.
func findBearer(text []byte, _ bool, add func(match)) {
	for i := 0; i+7 < len(text); i++ {
		if text[i]|0x20 != 'b' || !foldPrefix(text[i:], "bearer") || i > 0 && wordByte(text[i-1]) {
			continue
		}
		s := i + 6
		for s < len(text) && (text[s] == ' ' || text[s] == '\t') {
			s++
		}
		if s == i+6 {
			continue
		}
		e := s
		for e < len(text) && classes[text[e]]&cTok != 0 {
			e++
		}
		if e-s >= 16 && mixed(text[s:e]) {
			add(match{s: s, e: e, cs: i, ce: e})
		}
		i = e - 1
	}
}
