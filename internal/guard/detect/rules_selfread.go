package detect

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// The hermes home's secrets read by a command. The file tools refuse them
// and bubblewrap hides the home; on the local backend a plain
// `cat ~/.hermes/.env` would still hand every provider key to the model,
// where only output redaction stands between them. Reading them asks.

func init() {
	patterns["hermes.read_secrets"] = Pattern{Key: "hermes.read_secrets", Category: catSelf,
		Description: "read the hermes home's .env or auth.json (any profile's): the provider and platform keys"}
}

// hermesSecretRead: an argument or input redirection naming a hermes
// home's (or a profile's) .env or auth.json, or a glob that may.
func (s *scanner) hermesSecretRead(c *call) {
	if c.dynName != "" {
		return
	}
	for _, a := range c.args {
		v := a.val
		if strings.HasPrefix(v, "-") {
			_, after, ok := strings.Cut(v, "=")
			if !ok {
				continue
			}
			v = after
		}
		if s.hermesSecretPath(strings.TrimPrefix(v, "@")) {
			s.add("hermes.read_secrets", c.text)
			return
		}
	}
	if c.st == nil {
		return
	}
	for _, r := range c.st.Redirs {
		if (r.Op == syntax.RdrIn || r.Op == syntax.RdrInOut) && r.Word != nil && s.hermesSecretPath(s.word(c.lv, r.Word).val) {
			s.add("hermes.read_secrets", c.text)
			return
		}
	}
}

// hermesSecretPath reports .env, .env.*, auth.json, or a glob matching one
// of them, inside a hermes home or one of its profiles.
func (s *scanner) hermesSecretPath(p string) bool {
	if p == "" || len(p) > 4096 {
		return false
	}
	base := strings.ToLower(path.Base(s.canon(p)))
	if strings.ContainsAny(base, "*?[") {
		// A glob such as .e* names the secrets when it matches them.
		dir := path.Dir(p)
		return (matchBase(base, ".env") && s.hermesProtected(dir+"/.env")) ||
			(matchBase(base, "auth.json") && s.hermesProtected(dir+"/auth.json"))
	}
	if !s.hermesProtected(p) {
		return false
	}
	if strings.HasPrefix(base, ".env.") && (strings.HasSuffix(base, ".example") || strings.HasSuffix(base, ".sample")) {
		return false
	}
	return base == ".env" || strings.HasPrefix(base, ".env.") || base == "auth.json"
}

// matchBase reports a glob base that matches name.
func matchBase(glob, name string) bool {
	ok, err := path.Match(glob, name)
	return err == nil && ok
}
