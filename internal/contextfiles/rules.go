package contextfiles

import (
	"strings"

	"github.com/hermes-go/hermes/internal/lazyre"
)

// The regular expressions are RE2 (linear in the input) and run on the
// normalised text, so fullwidth letters and invisible characters between
// letters do not hide a phrase. All are case-insensitive.

// negation matches the end of a line prefix that turns the phrase after it
// into advice: "never reveal your system prompt", "do not bypass the
// filters". Only the word right before (or one word further) counts, so
// "do not hesitate to bypass your restrictions" is still a hit.
var negation = lazyre.New(`(?i)\b(not|never|don['’]?t|doesn['’]?t|cannot|can['’]?t|mustn['’]?t|shouldn['’]?t|won['’]?t|avoid|refuse\s+to|no\s+one\s+should)\s+(\w+\s+)?$`)

const leakAdj = `(full\s+|entire\s+|complete\s+|original\s+|hidden\s+|initial\s+|secret\s+|exact\s+)?`

var (
	reOverride = lazyre.New(`(?i)\b(ignore|forget|disregard|override|skip)\s+(all\s+|any\s+|each\s+|every\s+)?(of\s+)?(the\s+|your\s+|my\s+|these\s+|those\s+)?(previous|prior|above|earlier|preceding|foregoing|original|initial)\s+(instructions?|prompts?|rules|directions|directives|guidelines|context|messages)`)

	reDisregard = lazyre.New(`(?i)\b(disregard|forget\s+about|throw\s+out)\s+(your|the|all|any|every)\s+(\w+\s+){0,2}(rules|instructions|guidelines|directives|guardrails|policies|constraints)\b`)

	reSysOverride = lazyre.New(`(?i)\bsystem\s+prompt\s+(override|overwrite|replacement)\b|\boverride\s+(the\s+|your\s+)?system\s+prompt\b|\bnew\s+system\s+prompt\s*[:=\-]|\b(this|here)\s+is\s+(your|the)\s+new\s+system\s+prompt\b|\byour\s+new\s+system\s+prompt\b|\b(updated|revised|real|actual|true)\s+system\s+prompt\s*:`)

	reBypass = lazyre.New(`(?i)\b(bypass|circumvent|evade|get\s+around)\s+(all\s+|any\s+)?(of\s+)?(your|its|my|the|these|those)?\s*(own\s+|built-in\s+|safety\s+|content\s+)?(restrictions|safety|safeguards|filters|filtering|guardrails|content\s+polic(y|ies)|ethical\s+guidelines|alignment)\b|\byou\s+are\s+(no\s+longer|not)\s+(bound|restricted|limited|constrained)\s+by\b|\byou\s+are\s+no\s+longer\s+(bound|restricted|limited|constrained)\b|\byou\s+have\s+no\s+(restrictions|limits|rules|guidelines)\b`)

	reRole = lazyre.New(`(?i)\byou\s+are\s+now\s+(a|an|the|my|no\s+longer|unrestricted|unfiltered|uncensored|jailbroken|DAN|evil)\b|\b(pretend|act|behave|roleplay|role-play|respond)\s+(to\s+be|as|like)\s+(if\s+you\s+(are|were)\s+)?(an?\s+|the\s+)?(unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|DAN\b|developer\s+mode|different\s+(ai|assistant|model)|(ai|assistant|model)\s+(without|with\s+no)\b)|\bfrom\s+now\s+on,?\s+you\s+(will|are|must|shall|should|can)\b|\b(enable|enter|activate|switch\s+to)\s+(DAN|developer|jailbreak|god|unrestricted)\s+mode\b|\bDAN\s+mode\s+(enabled|activated|on)\b`)

	reLeak = lazyre.New(`(?i)\b(reveal|print|repeat|leak|disclose|dump|recite|output|show|display|tell\s+me|send|share|paste|write\s+out|echo)\s+(me\s+|us\s+)?(back\s+)?(your|all\s+of\s+your|all\s+your)\s+` + leakAdj + `(system\s+(prompt|message|instructions)|(hidden|secret|original|initial)\s+(prompt|instructions)|instructions|prompt)\b` +
		`|\b(reveal|leak|disclose|recite|repeat|dump)\s+(back\s+)?the\s+` + leakAdj + `(system\s+(prompt|message|instructions)|(hidden|secret|original|initial)\s+(prompt|instructions))\b` +
		`|\b(repeat|print|output)\s+(everything|all|the\s+text|all\s+text|the\s+words)\s+above\b` +
		`|\bwhat\s+(is|are)\s+your\s+(system\s+prompt|initial\s+instructions|hidden\s+instructions)\b`)

	reFakeUpdate = lazyre.New(`(?i)\b(important|urgent|critical|mandatory|official|security)\s+(update|notice|message|announcement|instruction|directive|alert)s?\s+from\s+(anthropic|openai|nous(\s+research)?|google|meta|the\s+system|the\s+developers?|your\s+developers?|your\s+creators?|the\s+administrators?|hermes)\b` +
		`|(?m:^|[^\w.])<\|?\s*/?\s*(system|system[-_ ]?prompt|sys)\s*\|?>|<<\s*/?SYS\s*>>|<\|im_start\|>\s*system`)

	reSystemTag = lazyre.New(`(?i)\[\s*(system|sys)(\s+(message|note|notice|override|prompt|update|instructions?|alert))?\s*\]`)
	// reRefDef is a Markdown reference definition or link: "[system]: ./x",
	// "[System](docs/system.md)", "[system][1]", or a TOML table header.
	reRefDef = lazyre.New(`^\[[^\]]*\](\(|\[|:\s*\S+\s*$|\s*$)`)

	secretVar = `\$\{?[A-Za-z_][A-Za-z0-9_]*(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|AUTH|PRIVATE)[A-Za-z0-9_]*\}?`
	netTool   = `(curl|wget|nc|ncat|netcat|socat|telnet|httpie|xh|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)`
	reExfil   = lazyre.New(`(?i)\b` + netTool + `\b[^\n]*(` + secretVar + `|\$\(\s*(env|printenv)\s*\))` +
		`|` + secretVar + `[^\n]*\|\s*` + netTool + `\b` +
		`|\b(env|printenv|set|export\s+-p)\s*\|\s*(base64\s*\|\s*)?` + netTool + `\b`)

	reSecrets = lazyre.New(`(?i)` + secretsExpr())

	reComment      = lazyre.New(`(?s)<!--.*?(-->|\z)`)
	reCommentInstr = lazyre.New(`(?i)(^|[^\w-])(ignore|disregard|forget|override)\s+(all|any|the|previous|prior|above|your|these|those|every|earlier|instructions|rules|safety)\b` +
		`|\byou\s+must\b|\byou\s+are\s+now\b` +
		`|\b(execute|run|eval)\b[^\n]{0,40}\b(curl|wget|nc|ncat|bash\s+-c|sh\s+-c|rm\s+-rf|chmod|eval|python3?\s+-c|powershell)\b` +
		`|\b(execute|run)\b[^\n]{0,40}\b(silently|secretly|quietly|immediately|without\s+(asking|telling|confirmation|approval))\b` +
		`|\bsend\b[^\n]{0,60}\b(https?://|secrets?|keys?|tokens?|credentials|passwords?|\.env|env\s+vars?|environment)\b` +
		`|\b(dear\s+)?(ai|assistant|llm|claude|chatgpt|gpt)\s*[:,]\s*\w|\b(note|message)\s+(to|for)\s+(the\s+)?(ai|assistant|agent|llm|model)s?\b` +
		`|\bsystem\s+prompt\b|\binstructions?\s+for\s+(the\s+)?(ai|assistant|agent|model|llm)\b` +
		`|\b(do\s+not|don['’]?t|never)\s+(tell|inform|alert|mention\s+(this\s+)?to)\s+the\s+user\b` +
		`|(^|[^\w-])(ignore|bypass|disable|skip|override|no)[_-](rules|safety|guard|guardrails|instructions|filters?|restrictions|approvals?)\b` +
		`|\bsystem[_-]prompt\b|\b(system|assistant|developer|agent)[_-]?(instructions?|directives?|override|role)\s*[:=]`)

	reTag       = lazyre.New(`(?i)<([a-z][a-z0-9-]*)\b([^<>]*)>`)
	reHiddenAtt = lazyre.New(`(?i)(^|\s)hidden(\s|=|/|$)|\bstyle\s*=\s*["']?[^"'>]*(display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0+(\.0+)?([a-z%]+)?\s*(;|["'!]|$)|opacity\s*:\s*0+(\.0+)?\s*(;|["'!]|$))`)
	reTextNext  = lazyre.New(`^(\s|<[^<>]*>)*[^<\s]`)
)

// secretsExpr builds the read_secrets expression: a secret file read
// and piped to a network, encoding or interpreter command, posted by curl,
// redirected to /dev/tcp, substituted into a network command, or copied off
// the machine. ".env.example" and "id_rsa.pub" are not secrets: those names
// must end where the file name ends.
func secretsExpr() string {
	const (
		dir    = `(~/|\$HOME/|\$\{HOME\}/|/root/|/home/[^/\s]+/|\.{1,2}/|/)?[\w./-]*`
		plainF = `(credentials\b|\.netrc\b|\.pgpass\b|auth\.json\b|\.git-credentials\b|\.docker/config\.json\b|\.kube/config\b)`
		endF   = `(\.env(\.(local|prod|production|development|dev|test|secret))?|id_(rsa|dsa|ecdsa|ed25519))`
		reader = `\b(cat|less|more|head|tail|type|base64|xxd|gzip|tar|zip)\s+[^\n|;&]*`
		sink   = `(\|\s*(curl|wget|nc|ncat|netcat|socat|ssh|scp|base64|xxd|openssl|mail|sendmail|telnet|python3?|perl|ruby|node|bash|sh)\b|>\s*/dev/(tcp|udp)/)`
		post   = `\b(curl|wget|httpie|xh)\b[^\n]*\s(-d|--data(-binary|-raw|-urlencode)?|-F|--form|-T|--upload-file|--body-file|--post-file)[\s=]*["']?(\w+=)?@?`
		net    = `\b(curl|wget|nc|ncat|netcat|socat|telnet|httpie|xh)\b`
	)
	// A secret file followed by the rest of a command up to the sink.
	thenSink := `(` + dir + plainF + `[^\n|;&]*|` + dir + endF + `(["')]*\s[^\n|;&]*|["')]*))` + sink
	// A secret file as a whole name.
	whole := `(` + dir + plainF + `|` + dir + endF + `([\s"')]|$))`
	return reader + thenSink +
		`|<\s*` + thenSink +
		`|` + post + whole +
		`|` + net + `[^\n]*\$\(\s*(cat|base64|head|tail)\s+[^)\n]*` + whole +
		`|\b(nc|ncat|netcat|socat|telnet)\b[^\n]*<\s*` + whole +
		`|\b(scp|rsync)\b[^\n]*\s` + whole + `[^\n]*[\w.-]+:`
}

// textLookahead bounds how far past a hidden tag findHidden looks for text,
// which keeps many hidden tags in a row linear.
const textLookahead = 4 << 10

// voidTags never hold text, so hiding them hides nothing.
var voidTags = map[string]bool{"img": true, "input": true, "br": true, "hr": true, "meta": true, "link": true, "source": true, "area": true, "col": true, "embed": true, "param": true, "track": true, "wbr": true, "base": true}

// rules is the scan, in report order.
var rules = append([]rule{
	{Pattern{"prompt_injection", `instruction override: "ignore/forget all previous instructions"`},
		words("ignore forget disregard override skip"), phraseLines, phrase(reOverride)},
	{Pattern{"disregard_rules", `"disregard your/the/all rules or instructions"`},
		words("disregard forget throw"), phraseLines, phrase(reDisregard)},
	{Pattern{"sys_prompt_override", `system prompt override: "system prompt override", "new system prompt:"`},
		words("system"), phraseLines, phrase(reSysOverride)},
	{Pattern{"bypass_restrictions", `"bypass your restrictions/safety/filters", "you are no longer bound by"`},
		words("bypass circumvent evade around bound restricted limited constrained restrictions limits rules guidelines"), phraseLines, phrase(reBypass)},
	{Pattern{"html_comment_injection", `an HTML comment (hidden when rendered) holding instructions`},
		nil, 0, findComment},
	{Pattern{"hidden_div", `an element hidden by display:none, visibility:hidden, font-size:0 or the hidden attribute that holds text`},
		nil, 0, findHidden},
	{Pattern{"role_hijack", `role hijack: "you are now ...", "pretend to be an unrestricted AI", "from now on you will"`},
		words("now pretend act behave roleplay role respond mode"), phraseLines, phrase(reRole)},
	{Pattern{"prompt_leak", `asks to reveal, print or repeat the system prompt or instructions`},
		words("prompt instructions system above"), phraseLines, phrase(reLeak)},
	{Pattern{"fake_update", `a fake authority message: "IMPORTANT UPDATE from OpenAI", [SYSTEM] or <system> tags, chat-template markers`},
		words("sys system system_prompt im_start update updates notice notices message messages announcement announcements instruction instructions directive directives alert alerts"), phraseLines, findFakeUpdate},
	{Pattern{"exfil_curl", `a network command (curl, wget, nc, ...) carrying a secret-looking $VARIABLE or the environment`},
		words("curl wget nc ncat netcat socat telnet httpie xh invoke iwr irm"), 0, findExfil},
	{Pattern{"read_secrets", `a secret file (.env, credentials, .netrc, .pgpass, id_rsa, auth.json, ...) read and piped or sent elsewhere`},
		words("env credentials netrc pgpass auth docker kube id_rsa id_dsa id_ecdsa id_ed25519"), 0, findSecrets},
}, moreRules...)

// findSecrets runs reSecrets only on text that could hold a match: one
// with a pipe, a redirect, a command substitution, or a command that sends
// files by itself.
func findSecrets(text string) (int, int, bool) {
	if !strings.ContainsAny(text, "|<>") && !strings.Contains(text, "$(") && !reSenders.MatchString(text) {
		return 0, 0, false
	}
	return plain(reSecrets)(text)
}

// findExfil reports a network command carrying a secret, unless the
// secret only authenticates the request: an Authorization or API-key
// header, or curl -u, is how API docs use a token.
func findExfil(text string) (int, int, bool) {
	for _, m := range reExfil.FindAllStringIndex(text, -1) {
		ls := strings.LastIndexByte(text[:m[0]], '\n') + 1
		le := strings.IndexByte(text[m[0]:], '\n')
		if le < 0 {
			le = len(text)
		} else {
			le += m[0]
		}
		line := reAuthArg.Re().ReplaceAllStringFunc(text[ls:le], func(s string) string { return strings.Repeat(" ", len(s)) })
		if reExfil.MatchString(line) {
			return m[0], m[1], true
		}
	}
	return 0, 0, false
}

// reAuthArg is a request header or option that carries a credential to
// the server it is for.
var reAuthArg = lazyre.New(`(?i)(-H|--header)\s*["']?\s*(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|private-token|x-goog-api-key|anthropic-api-key|openai-api-key)\s*:[^"'\n]*["']?|(\s-u|--user)\s+["']?[^\s"']*["']?`)

var reSenders = lazyre.New(`(?i)\b(curl|wget|httpie|xh|scp|rsync)\b`)

// words splits a list of anchor words.
func words(s string) []string { return strings.Fields(s) }

// findComment reports the first instruction inside an HTML comment; the
// range is the instruction's, so the line points at it.
func findComment(text string) (int, int, bool) {
	for _, c := range reComment.FindAllStringIndex(text, -1) {
		body := text[c[0]:c[1]]
		if m := reCommentInstr.FindStringIndex(body); m != nil {
			return c[0] + m[0], c[0] + m[1], true
		}
	}
	return 0, 0, false
}

// findHidden reports the first element hidden from a reader of the
// rendered Markdown that is followed by text.
func findHidden(text string) (int, int, bool) {
	for _, m := range reTag.FindAllStringSubmatchIndex(text, -1) {
		name := strings.ToLower(text[m[2]:m[3]])
		if voidTags[name] || !reHiddenAtt.MatchString(text[m[4]:m[5]]) {
			continue
		}
		rest := text[m[1]:min(len(text), m[1]+textLookahead)]
		if t := reTextNext.FindStringIndex(rest); t != nil {
			return m[0], m[1] + t[1], true
		}
	}
	return 0, 0, false
}

// findFakeUpdate reports authority claims and system tags; a bracketed
// [system] that is a Markdown link, reference or TOML table is not one,
// nor is a <system> tag quoted as code or named as an element.
func findFakeUpdate(text string) (int, int, bool) {
	s1, e1, ok1 := 0, 0, false
	for _, m := range reFakeUpdate.FindAllStringIndex(text, -1) {
		s, e := m[0], m[1]
		if text[s] != '<' && !isWordByte(text[s]) {
			// The tag branch matched the character before "<" too.
			s += strings.IndexByte(text[s:e], '<')
		}
		if text[s] == '<' && quotedTag(text, s, e) {
			continue
		}
		s1, e1, ok1 = s, e, true
		break
	}
	s2, e2, ok2 := unless(reSystemTag, reRefDef)(text)
	switch {
	case ok1 && (!ok2 || s1 <= s2):
		return s1, e1, true
	case ok2:
		return s2, e2, true
	}
	return 0, 0, false
}

// reElementWord follows a tag that a document names rather than uses.
var reElementWord = lazyre.New(`^\s*(elements?|tags?|nodes?|blocks?|sections?)\b`)

// quotedTag reports a tag in backticks or quotes, or followed by
// "element" or "tag": documentation about the tag, not the tag.
func quotedTag(text string, s, e int) bool {
	if s > 0 && strings.IndexByte("`\"'", text[s-1]) >= 0 {
		return true
	}
	return reElementWord.MatchString(text[e:min(len(text), e+16)])
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
