package config

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// semantic checks what no single value shows: a provider that names
// nothing, a stdio server with a URL, a duplicate fallback. Each problem is
// placed at the key it is about, or at its nearest written ancestor.
func (d *decoder) semantic(c *Config) {
	d.checkEndpoint(c, "model", c.Model.Provider, c.Model.BaseURL, true)
	for _, name := range sortedKeys(c.Providers) {
		if c.Providers[name].BaseURL == "" {
			d.addAt(Error, "providers."+name, "base_url", "a provider entry needs base_url", "")
		}
	}
	d.checkFallbacks(c)
	for _, task := range []struct {
		name string
		e    Endpoint
	}{
		{"compression", c.Auxiliary.Compression}, {"vision", c.Auxiliary.Vision},
		{"web_extract", c.Auxiliary.WebExtract}, {"title", c.Auxiliary.Title},
		{"session_search", c.Auxiliary.SessionSearch}, {"approval", c.Auxiliary.Approval},
	} {
		if task.e.Provider != "" {
			d.checkEndpoint(c, "auxiliary."+task.name, task.e.Provider, task.e.BaseURL, false)
		}
	}
	if c.Delegation.Model.Provider != "" {
		d.checkEndpoint(c, "delegation.model", c.Delegation.Model.Provider, c.Delegation.Model.BaseURL, false)
	}
	d.checkTerminal(c)
	d.checkMCP(c)
	d.checkPlatforms(c)
	for i, p := range c.Security.RedactPatterns {
		d.checkRedactPattern(fmt.Sprintf("security.redact_patterns.%d", i), p)
	}
}

// addAt records a problem about key under parent, placed at the key when it
// is written, else at the closest written ancestor.
func (d *decoder) addAt(sev Severity, parent, key, msg, hint string) {
	path := joinPath(parent, key)
	d.add(sev, d.nodeFor(path), path, msg, hint)
}

// nodeFor finds the node to point at for path: its value, its key, or the
// nearest ancestor that is written in the file.
func (d *decoder) nodeFor(path string) ast.Node {
	if v, ok := d.values[path]; ok {
		return v
	}
	for p := path; p != ""; {
		if n, ok := d.keys[p]; ok {
			return n
		}
		if n, ok := d.values[p]; ok {
			return n
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return nil
}

// failed reports whether a value at or under path was already rejected,
// so a cross-field check does not add a second, misleading problem.
func (d *decoder) failed(path string) bool {
	for _, p := range d.problems {
		if p.Severity == Error && (p.Path == path || strings.HasPrefix(p.Path, path+".")) {
			return true
		}
	}
	return false
}

// checkEndpoint checks a provider name and its base_url.
func (d *decoder) checkEndpoint(c *Config, at, provider, baseURL string, primary bool) {
	if d.failed(at) {
		return
	}
	if provider == "" {
		if primary {
			d.addAt(Error, at, "provider", "no provider set", "set one of "+strings.Join(builtinProviders, ", ")+" or a providers entry")
		}
		return
	}
	if _, named := c.Providers[provider]; !named && !IsBuiltinProvider(provider) {
		candidates := append(append([]string(nil), builtinProviders...), sortedKeys(c.Providers)...)
		hint := didYouMean(closest(provider, candidates))
		if hint == "" {
			hint = "add it under providers: with a base_url, or use custom"
		}
		d.addAt(Error, at, "provider", fmt.Sprintf("unknown provider %q (want %s, or a providers entry)", provider, strings.Join(builtinProviders, ", ")), hint)
		return
	}
	if provider == "custom" && baseURL == "" {
		d.addAt(Error, at, "base_url", "the custom provider needs base_url", "set it to the endpoint, e.g. http://127.0.0.1:8000/v1")
	}
}

func (d *decoder) checkFallbacks(c *Config) {
	type id struct{ provider, model, baseURL string }
	primary := id{c.Model.Provider, c.Model.Default, c.Model.BaseURL}
	seen := map[id]int{}
	for i, e := range c.FallbackProviders {
		at := fmt.Sprintf("fallback_providers.%d", i)
		if e.Provider == "" {
			d.addAt(Error, at, "provider", "a fallback entry needs provider", "")
			continue
		}
		d.checkEndpoint(c, at, e.Provider, e.BaseURL, false)
		k := id{e.Provider, e.Model, e.BaseURL}
		if k == primary {
			d.addAt(Error, at, "", "the same provider and model as the primary", "a fallback must differ from model:")
			continue
		}
		if j, dup := seen[k]; dup {
			d.addAt(Error, at, "", fmt.Sprintf("duplicate of fallback_providers.%d", j), "remove one")
			continue
		}
		seen[k] = i
	}
}

func (d *decoder) checkTerminal(c *Config) {
	t := c.Terminal
	need := map[string]string{"ssh": t.SSH.Host, "docker": t.Docker.Image, "singularity": t.Singularity.Image, "modal": t.Modal.Image}
	key := map[string]string{"ssh": "host", "docker": "image", "singularity": "image", "modal": "image"}[t.Backend]
	if key != "" && need[t.Backend] == "" && !d.failed("terminal."+t.Backend) {
		path := "terminal." + t.Backend + "." + key
		d.add(Error, d.nodeFor("terminal.backend"), path, "the "+t.Backend+" backend needs "+path, "")
	}
	if len(t.Expose) > 0 && t.Backend != "auto" && t.Backend != "bubblewrap" {
		d.addAt(Warning, "terminal", "expose", "terminal.expose applies only to the bubblewrap sandbox (backend auto or bubblewrap), not to "+t.Backend, "")
	}
	if strings.HasPrefix(t.Docker.Host, "tcp://") {
		host, _, err := net.SplitHostPort(strings.TrimPrefix(t.Docker.Host, "tcp://"))
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			d.addAt(Warning, "terminal.docker", "host", "a remote Docker daemon runs commands on another machine", "use unix:// or a loopback tcp:// address unless you mean it")
		}
	}
}

func (d *decoder) checkMCP(c *Config) {
	for _, name := range sortedKeys(c.MCPServers) {
		s := c.MCPServers[name]
		at := "mcp_servers." + name
		if d.failed(at) {
			continue
		}
		switch {
		case s.Command == "" && s.URL == "":
			d.addAt(Error, at, "", "an MCP server needs command (stdio) or url (HTTP)", "")
		case s.Command != "" && s.URL != "":
			d.addAt(Error, at, "url", "an MCP server has command or url, not both", "")
		case s.Transport == "stdio" && s.Command == "":
			d.addAt(Error, at, "transport", "transport stdio needs command", "")
		case (s.Transport == "http" || s.Transport == "sse") && s.URL == "":
			d.addAt(Error, at, "transport", "transport "+s.Transport+" needs url", "")
		}
	}
}

func (d *decoder) checkPlatforms(c *Config) {
	p := c.Platforms
	if p.Matrix.Enabled {
		if p.Matrix.Homeserver == "" {
			d.addAt(Error, "platforms.matrix", "homeserver", "matrix needs homeserver", "")
		}
		if p.Matrix.UserID == "" {
			d.addAt(Error, "platforms.matrix", "user_id", "matrix needs user_id", "")
		}
	}
	if p.Email.Enabled {
		for _, k := range []struct{ key, val string }{{"address", p.Email.Address}, {"imap_host", p.Email.IMAPHost}, {"smtp_host", p.Email.SMTPHost}} {
			if k.val == "" {
				d.addAt(Error, "platforms.email", k.key, "email needs "+k.key, "")
			}
		}
		d.checkEmail(p.Email)
	}
	for _, name := range sortedKeys(p.Webhooks.Routes) {
		if p.Webhooks.Routes[name].SecretEnv != "" {
			continue
		}
		if loopbackListen(c.Gateway.HealthListen) {
			d.addAt(Warning, "platforms.webhooks.routes."+name, "secret_env", "a webhook route without secret_env accepts any request that reaches the gateway's loopback listener", "name the .env variable that holds its secret")
		} else {
			d.addAt(Error, "platforms.webhooks.routes."+name, "secret_env", "a webhook route needs secret_env when the gateway listens beyond this machine (gateway.health_listen)", "name the .env variable that holds its secret, or listen on 127.0.0.1")
		}
	}
	if p.APIServer.Enabled && !loopbackListen(p.APIServer.Listen) {
		if _, _, err := net.SplitHostPort(p.APIServer.Listen); err == nil {
			d.addAt(Warning, "platforms.api_server", "listen", "the API server listens beyond this machine; anyone who reaches it needs only API_SERVER_KEY", "use 127.0.0.1 unless you mean it")
		}
	}
}

// loopbackListen reports whether a host:port listen address is on
// loopback only (localhost or a loopback IP).
func loopbackListen(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkEmail refuses what the email adapter cannot honour: a base_url
// (email has hosts and ports), pairing codes by mail, plain text to a
// host beyond this machine.
func (d *decoder) checkEmail(e Email) {
	if e.BaseURL != "" {
		d.addAt(Error, "platforms.email", "base_url", "email has no base_url", "set imap_host, imap_port, smtp_host and smtp_port instead")
	}
	if e.UnauthorizedDMBehavior != "ignore" {
		d.addAt(Error, "platforms.email", "unauthorized_dm_behavior", "email sends no pairing codes: a From address is easy to forge", "list senders in EMAIL_ALLOWED_USERS in .env, and use ignore")
	}
	if e.TLS == "none" {
		for _, h := range []struct{ key, host string }{{"imap_host", e.IMAPHost}, {"smtp_host", e.SMTPHost}} {
			if ip := net.ParseIP(h.host); h.host != "" && h.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				d.addAt(Error, "platforms.email", "tls", "tls: none would send the password in plain text to "+h.host, "use auto, implicit or starttls; none is for a loopback host (a local bridge or test server)")
				break
			}
		}
	}
}

// checkRedactPattern accepts a user redaction pattern only if it compiles
// and cannot match the empty string (which would match everywhere).
func (d *decoder) checkRedactPattern(path, p string) {
	re, err := regexp.Compile(p)
	if err != nil {
		d.addAt(Error, path, "", "bad regular expression: "+err.Error(), "")
		return
	}
	if re.MatchString("") {
		d.addAt(Error, path, "", "the pattern matches the empty string, so it would match everywhere", "make it require at least one character")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
