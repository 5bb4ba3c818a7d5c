package detect

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Exfiltration and reverse shells. A secret file or the environment sent
// to a network tool in one command (as its data, through a pipe, a
// redirection or a substitution) is exfil.*; a shell wired to a network
// connection is revshell.*.

// netTools send what they are given over the network.
var netTools = map[string]bool{
	"curl": true, "wget": true, "nc": true, "ncat": true, "netcat": true, "socat": true, "telnet": true,
	"scp": true, "sftp": true, "rsync": true, "ssh": true, "ftp": true, "lftp": true, "tftp": true,
	"mail": true, "mailx": true, "sendmail": true, "mutt": true, "rclone": true, "gsutil": true,
	"http": true, "https": true, "xh": true, "curlie": true, "websocat": true, "openssl": true,
	"nc.openbsd": true, "nc.traditional": true, "cryptcat": true, "pwncat": true, "aws": true, "az": true,
	"gcloud": true, "smbclient": true, "s3cmd": true, "mc": true, "transfer": true, "croc": true,
	// A secret in a name looked up leaves through DNS or ICMP.
	"dig": true, "nslookup": true, "host": true, "drill": true, "ping": true, "ping6": true,
}

// rawSockets are the network tools a shell is wired to in a reverse shell.
var rawSockets = map[string]bool{
	"nc": true, "ncat": true, "netcat": true, "socat": true, "telnet": true, "openssl": true,
	"nc.openbsd": true, "nc.traditional": true, "cryptcat": true, "pwncat": true, "websocat": true,
}

// secretValueOpts are options whose value a tool reads for itself (an
// identity, a client key, a config), not data it sends.
var secretValueOpts = map[string]bool{
	"-i": true, "--key": true, "--cert": true, "-E": true, "--cacert": true, "--netrc-file": true,
	"-K": true, "--config": true, "--identity": true, "--private-key": true, "-k": true,
	// Where a download is written, not what is sent.
	"-o": true, "--output": true, "-O": true, "--output-document": true, "-c": true, "--cookie-jar": true,
	"-D": true, "--dump-header": true, "--directory-prefix": true, "-e": true, "--rsh": true,
}

// secretPath reports a file whose content is a credential.
func (s *scanner) secretPath(p string) bool {
	if p == "" || len(p) > 4096 || strings.ContainsAny(p, " \t\n") {
		return false // a remote command line such as ssh host 'cat .env', not a path
	}
	c := s.canon(p)
	base := path.Base(c)
	lower := strings.ToLower(c)
	switch {
	case strings.HasSuffix(base, ".pub") || strings.HasSuffix(base, ".example") || strings.HasSuffix(base, ".sample") || strings.HasSuffix(base, ".template") || strings.HasSuffix(base, ".dist"):
		return false
	case base == ".env" || strings.HasPrefix(base, ".env."):
		return true
	case credFiles[base] || base == "auth.json" || base == "credentials.json" || base == ".git-credentials":
		return true
	case strings.HasPrefix(base, "id_rsa") || strings.HasPrefix(base, "id_ed25519") || strings.HasPrefix(base, "id_ecdsa") || strings.HasPrefix(base, "id_dsa"):
		return true
	case base == ".ssh" || strings.Contains(c, "/.ssh/") || strings.HasPrefix(c, ".ssh/") || strings.HasPrefix(c, "~/.ssh"):
		return true
	case strings.Contains(lower, ".aws/credentials") || strings.Contains(lower, ".aws/config") || base == ".aws":
		return true
	case strings.Contains(lower, ".config/gcloud") || strings.Contains(lower, ".kube/config") || base == ".kube" || strings.Contains(lower, ".docker/config.json") || strings.Contains(lower, ".gnupg"):
		return true
	case c == "/etc/shadow" || c == "/etc/gshadow" || c == "/etc/sudoers":
		return true
	}
	for _, h := range s.hermesHomes() {
		if c == h || c == h+"/config.yaml" || c == h+"/state.db" {
			return true
		}
	}
	return false
}

// envPath reports /proc/<pid>/environ.
func envPath(p string) bool {
	return strings.HasPrefix(p, "/proc/") && strings.HasSuffix(p, "/environ")
}

// envSource reports a command that prints the whole environment.
func envSource(c *call) bool {
	if c.dynName != "" {
		return false
	}
	switch c.name {
	case "env", "printenv":
		return len(operands(c.args, "u")) == 0
	case "set", "export":
		return len(c.args) == 0 || c.args[0].val == "-p"
	case "declare", "typeset":
		return len(c.args) == 1 && (c.args[0].val == "-p" || c.args[0].val == "-x" || c.args[0].val == "-px")
	case "compgen":
		return hasFlag(c.args, "ev")
	}
	for _, a := range c.args {
		if envPath(a.val) {
			return true
		}
	}
	return false
}

// readsSecret reports a command with a secret file among its arguments
// (a reader such as cat, tar or base64) or as an input redirection.
func (s *scanner) readsSecret(c *call) bool {
	if c.dynName != "" {
		return false
	}
	copier := c.name == "scp" || c.name == "rsync" || c.name == "sftp" || c.name == "rclone"
	last := len(c.args) - 1
	for i, a := range c.args {
		if i > 0 && secretValueOpts[c.args[i-1].val] {
			continue
		}
		if copier && (i == last || remoteSpec(a.val)) {
			continue // the destination, or a file on another host
		}
		if s.secretArg(a.val) {
			return true
		}
	}
	return s.secretInput(c)
}

// remoteSpec reports host:path (scp, rsync) or a URL.
func remoteSpec(v string) bool {
	i := strings.IndexByte(v, ':')
	return i > 0 && !strings.Contains(v[:i], "/")
}

// secretArg reports an argument naming a secret: a path, @path, name=@path
// or --opt=path.
func (s *scanner) secretArg(v string) bool {
	if len(v) > 2 && v[0] == '-' && strings.IndexByte("dFT", v[1]) >= 0 {
		v = v[2:] // curl -d@.env, -Ff=@key, -T.env
	} else if strings.HasPrefix(v, "-") {
		_, after, ok := strings.Cut(v, "=")
		if !ok {
			return false
		}
		v = after
	}
	if _, after, ok := strings.Cut(v, "=@"); ok {
		v = after
	}
	if _, after, ok := strings.Cut(v, "=<"); ok {
		v = after
	}
	if i := strings.IndexByte(v, '@'); i > 0 && !strings.Contains(v[:i], "/") {
		v = v[i:] // curl --data-urlencode name@file
	}
	v = strings.TrimPrefix(v, "@")
	if i := strings.IndexByte(v, ';'); i > 0 {
		v = v[:i] // curl -F f=@file;type=text/plain
	}
	return s.secretPath(v)
}

// secretInput reports an input redirection from a secret file.
func (s *scanner) secretInput(c *call) bool {
	if c.st == nil {
		return false
	}
	for _, r := range c.st.Redirs {
		if (r.Op == syntax.RdrIn || r.Op == syntax.RdrInOut) && r.Word != nil {
			if s.secretPath(s.word(c.lv, r.Word).val) {
				return true
			}
		}
	}
	return false
}

// netRule: a network tool given a secret or the environment, nc -e /
// ncat --exec / socat EXEC:, and the hermes self-tampering forms that do
// not go through sensitiveWrite.
func (s *scanner) netRule(c *call) {
	if c.dynName != "" || !netTools[c.name] {
		return
	}
	if c.name == "aws" || c.name == "az" || c.name == "gcloud" || c.name == "openssl" {
		if c.name == "openssl" && (len(c.args) == 0 || c.args[0].val != "s_client") {
			return
		}
		if !cloudCopy(c) && c.name != "openssl" {
			return
		}
	}
	if argsCarryData(c.name) && s.readsSecret(c) || s.secretInput(c) {
		s.add("exfil.secret_file", c.text)
	}
	if c.name == "socat" {
		for _, a := range c.args {
			kind, p, ok := strings.Cut(a.val, ":")
			if ok && in(strings.ToLower(kind), "file", "open", "gopen", "create") && s.secretPath(strings.SplitN(p, ",", 2)[0]) {
				s.add("exfil.secret_file", c.text) // socat FILE:.env TCP:host:80
			}
		}
	}
	for _, a := range c.args {
		if envPath(a.val[strings.IndexByte(a.val, '@')+1:]) {
			s.add("exfil.environment", c.text)
		}
	}
	if c.st != nil {
		for _, r := range c.st.Redirs {
			if r.Op == syntax.RdrIn && r.Word != nil && envPath(s.word(c.lv, r.Word).val) {
				s.add("exfil.environment", c.text)
			}
		}
	}
	secret, env := s.substReads(c.lv, c.args)
	if c.st != nil {
		for _, r := range c.st.Redirs {
			if r.Word != nil {
				sec, en := s.wordReads(c.lv, r.Word)
				secret, env = secret || sec, env || en
			}
		}
	}
	if secret {
		s.add("exfil.secret_file", c.text)
	}
	if env {
		s.add("exfil.environment", c.text)
	}
	for _, k := range s.secretVarKeys(c.args) {
		s.add(k, c.text)
	}
	s.socketExec(c)
}

// cloudCopy reports aws s3 cp/sync/mv, aws s3api put-object, az storage
// upload and gcloud storage cp: copies that may leave the machine.
func cloudCopy(c *call) bool {
	ops := operands(c.args, "")
	for i, o := range ops {
		if o == "cp" || o == "sync" || o == "mv" || o == "put-object" || strings.HasPrefix(o, "upload") || o == "scp" {
			return i <= 3
		}
	}
	return false
}

// socketExec: nc -e/-c, ncat --exec/--sh-exec/--lua-exec, socat EXEC:/SYSTEM:.
func (s *scanner) socketExec(c *call) {
	switch c.name {
	case "nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "cryptcat", "pwncat":
		for i, a := range c.args {
			v := a.val
			name, val, hasVal := strings.Cut(v, "=")
			switch {
			case name == "--exec" || name == "--sh-exec" || name == "--lua-exec":
				s.add("revshell.socket_exec", c.text)
				if name == "--sh-exec" && hasVal {
					s.nestedScript(c.lv, val)
				} else if name == "--sh-exec" && i+1 < len(c.args) {
					s.nestedScript(c.lv, c.args[i+1].val)
				}
			case len(v) > 1 && v[0] == '-' && v[1] != '-' && strings.ContainsAny(v[1:], "ec"):
				s.add("revshell.socket_exec", c.text)
			}
		}
	case "socat":
		for _, a := range c.args {
			l := strings.ToLower(a.val)
			for _, p := range []string{"exec:", "system:"} {
				if k := strings.Index(l, p); k >= 0 && (k == 0 || l[k-1] == ',' || l[k-1] == '!') {
					s.add("revshell.socket_exec", c.text)
					cmd, _, _ := strings.Cut(a.val[k+len(p):], ",")
					s.nestedScript(c.lv, strings.Trim(cmd, `"'`))
				}
			}
		}
	}
}

// substReads reports whether the command substitutions in args read a
// secret file or the environment.
func (s *scanner) substReads(lv *level, args []arg) (secret, env bool) {
	for _, a := range args {
		for _, sub := range a.subs {
			for _, st := range sub.stmts {
				sec, en := s.stmtReads(lv, st)
				secret, env = secret || sec, env || en
			}
		}
	}
	return secret, env
}

func (s *scanner) wordReads(lv *level, w *syntax.Word) (secret, env bool) {
	syntax.Walk(w, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CmdSubst:
			for _, st := range n.Stmts {
				sec, en := s.stmtReads(lv, st)
				secret, env = secret || sec, env || en
			}
			return false
		case *syntax.ProcSubst:
			for _, st := range n.Stmts {
				sec, en := s.stmtReads(lv, st)
				secret, env = secret || sec, env || en
			}
			return false
		}
		return true
	})
	return secret, env
}

// stmtReads reports whether any simple command in st reads a secret file
// or prints the environment ($(< ~/.env) included).
func (s *scanner) stmtReads(lv *level, root *syntax.Stmt) (secret, env bool) {
	syntax.Walk(root, func(n syntax.Node) bool {
		st, ok := n.(*syntax.Stmt)
		if !ok {
			return true
		}
		for _, r := range st.Redirs {
			if r.Op == syntax.RdrIn && r.Word != nil {
				v := s.word(lv, r.Word).val
				secret = secret || s.secretPath(v)
				env = env || envPath(v)
			}
		}
		if ce, ok := st.Cmd.(*syntax.CallExpr); ok && len(ce.Args) > 0 {
			c := s.light(lv, st, ce)
			if envSource(c) {
				env = true
			} else if s.readsSecret(c) {
				secret = true
			}
		}
		env = env || declPrintsEnv(st)
		return true
	})
	return secret, env
}

// declPrintsEnv reports export, export -p, declare -p/-x and typeset -p
// (parsed as declarations, not simple commands), which print the
// environment.
func declPrintsEnv(st *syntax.Stmt) bool {
	d, ok := st.Cmd.(*syntax.DeclClause)
	if !ok {
		return false
	}
	if len(d.Args) == 0 {
		return d.Variant.Value == "export"
	}
	if len(d.Args) != 1 || d.Args[0].Value == nil {
		return false
	}
	v := d.Args[0].Value.Lit()
	return v == "-p" || v == "-x" || v == "-px"
}

// redirFamilies: /dev/tcp and /dev/udp redirections, and a secret read
// by a command whose output goes to one.
func (s *scanner) redirFamilies(lv *level, st *syntax.Stmt, text string) {
	for _, r := range st.Redirs {
		if r.Word == nil {
			continue
		}
		if r.Op == syntax.RdrOut || r.Op == syntax.AppOut || r.Op == syntax.RdrClob || r.Op == syntax.RdrAll || r.Op == syntax.AppAll {
			// A target the command defines for itself (X=~/.hermes/config.yaml; echo > $X).
			if ws, ok := s.expandWords(lv, []*syntax.Word{r.Word}); ok && len(ws) == 1 {
				for _, k := range s.sensitiveWrite(ws[0].val) {
					s.add(k, text)
				}
			}
		}
		v := path.Clean(s.word(lv, r.Word).val)
		if !strings.HasPrefix(v, "/dev/tcp/") && !strings.HasPrefix(v, "/dev/udp/") {
			continue
		}
		s.add("revshell.dev_tcp", text)
		if ce, ok := st.Cmd.(*syntax.CallExpr); ok && len(ce.Args) > 0 {
			c := s.light(lv, st, ce)
			if envSource(c) {
				s.add("exfil.environment", text)
			} else if s.readsSecret(c) {
				s.add("exfil.secret_file", text)
			}
		}
	}
}

// pipelineFamilies: a secret or the environment flowing through a pipe
// into a network tool, and a shell piped to or from a raw socket.
func (s *scanner) pipelineFamilies(lv *level, stages []*syntax.Stmt, text string) {
	var secret, env, sock, shell bool
	for _, st := range stages {
		ce, ok := st.Cmd.(*syntax.CallExpr)
		if !ok || len(ce.Args) == 0 {
			sec, en := s.stmtReads(lv, st)
			secret, env = secret || sec, env || en
			continue
		}
		c := s.light(lv, st, ce)
		if netTools[c.name] && c.dynName == "" {
			if secret {
				s.add("exfil.secret_file", text)
			}
			if env {
				s.add("exfil.environment", text)
			}
		}
		if rawSockets[c.name] {
			if shell {
				s.add("revshell.pipe", text)
			}
			sock = true
		}
		if shellNames[c.name] && readsStdinScript(c) || shellNames[c.name] && hasFlag(c.args, "i") {
			if sock {
				s.add("revshell.pipe", text)
			}
			shell = true
		}
		if envSource(c) {
			env = true
		} else if s.readsSecret(c) {
			secret = true
		}
	}
}

// argsCarryData reports network tools whose arguments name files they
// send (curl -d @f, scp f host:); for ssh, nc, socat and telnet the
// arguments are hosts, addresses or a remote command, so only what they
// read locally (stdin, substitutions) counts.
func argsCarryData(name string) bool {
	switch name {
	case "ssh", "nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "cryptcat", "pwncat", "socat", "telnet", "openssl", "websocat", "ftp", "tftp":
		return false
	}
	return true
}
