package detect

import (
	"fmt"
	"strings"
)

// Inline interpreter code: python -c, perl -e, ruby -e, node -e, deno
// eval, php -r, lua -e, awk programs, osascript -e, and code fed to an
// interpreter through a here-document, here-string or a pipe of literal
// text. The code is read with lexCode: a shell command it runs as a
// literal string is judged by the shell rules (so os.system("rm -rf /")
// is hardline); what it does with values known only at run time asks
// under interp.*.

// maxCodeDepth bounds exec("...") inside exec("...") followed.
const maxCodeDepth = 3

// interpLang maps an interpreter's command name to its language.
func interpLang(name string) (lang, bool) {
	base := strings.TrimRight(name, "0123456789.")
	switch base {
	case "python", "pypy", "pypy3":
		return langPython, true
	case "perl":
		return langPerl, true
	case "ruby", "jruby":
		return langRuby, true
	case "node", "nodejs", "bun", "deno":
		return langJS, true
	case "php":
		return langPHP, true
	case "lua", "luajit":
		return langLua, true
	case "awk", "gawk", "mawk", "nawk":
		return langAwk, true
	case "osascript":
		return langAppleScript, true
	}
	return 0, false
}

// scanCode reads code in language l that c runs.
func (s *scanner) scanCode(c *call, code string, l lang, depth int) {
	if depth > maxCodeDepth || s.err != nil {
		return
	}
	s.work += len(code)
	if s.work > maxWork {
		return // script() reports the budget on the next nested shell
	}
	toks := lexCode(code, l)
	low := strings.ToLower(code)
	cs := codeScan{s: s, c: c, l: l, toks: toks, low: low, depth: depth}
	cs.run()
}

type codeScan struct {
	s     *scanner
	c     *call
	l     lang
	toks  []token
	low   string
	depth int
	wrote bool // a write call was seen
	calls int  // calls followed so far
	added map[string]bool
}

// add reports key once per piece of code (Scan's own dedup builds a
// string of the whole command per call: too dear per token).
func (cs *codeScan) add(key, text string) {
	if cs.added[key] {
		return
	}
	if cs.added == nil {
		cs.added = map[string]bool{}
	}
	cs.added[key] = true
	cs.s.add(key, text)
}

// maxCodeCalls bounds the calls of interest followed in one piece of code.
const maxCodeCalls = 1024

var langNames = map[lang]string{langPython: "Python", langPerl: "Perl", langRuby: "Ruby", langJS: "JavaScript", langPHP: "PHP", langLua: "Lua", langAwk: "awk", langAppleScript: "AppleScript"}

// writeNames are the calls isWrite looks at.
var writeNames = map[string]bool{
	"open": true, "fopen": true, "sysopen": true, "write_text": true, "write_bytes": true, "writeFileSync": true,
	"writeFile": true, "appendFileSync": true, "appendFile": true, "createWriteStream": true, "copyFileSync": true,
	"copyFile": true, "renameSync": true, "rename": true, "symlinkSync": true, "symlink": true, "file_put_contents": true,
	"copy": true, "copy2": true, "copyfile": true, "move": true, "replace": true, "write": true, "binwrite": true,
	"writeTextFile": true, "truncate": true, "link": true, "cp": true, "mv": true, "ln_s": true, "ln_sf": true, "install": true,
}

// aliases reads `import subprocess as sp` and `from os import system as
// s`: the alias stands for the name.
func (cs *codeScan) aliases() map[string]string {
	var out map[string]string
	for i := 1; i+1 < len(cs.toks); i++ {
		if cs.toks[i].kind != tokName || cs.toks[i].val != "as" || cs.toks[i-1].kind != tokName || cs.toks[i+1].kind != tokName {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[cs.toks[i+1].val] = cs.toks[i-1].val
	}
	return out
}

// constants replaces the uses of names assigned one literal string once
// (cmd = "rm -rf /"; my $c = "..."; const c = "...") by that string, so
// os.system(cmd) is judged like os.system("rm -rf /").
func (cs *codeScan) constants() {
	vals := map[string]string{}
	bad := map[string]bool{}
	t := cs.toks
	for i := 0; i+1 < len(t); i++ {
		if t[i].kind != tokName || t[i+1].kind != tokPunct {
			continue
		}
		name := t[i].val
		if t[i+1].val != "=" {
			// cmd += "x", cmd .= "x": not one value.
			if i+2 < len(t) && t[i+2].kind == tokPunct && t[i+2].val == "=" && strings.Contains("+-*/.%|&^", t[i+1].val) {
				bad[name] = true
			}
			continue
		}
		if i+2 < len(t) && t[i+2].kind == tokPunct && t[i+2].val == "=" {
			continue // ==
		}
		_, seen := vals[name]
		if i+2 >= len(t) || t[i+2].kind != tokStr || !t[i+2].lit || seen || i > 0 && t[i-1].kind == tokPunct && t[i-1].val == "." {
			bad[name] = true
			continue
		}
		if i+3 < len(t) && t[i+3].kind == tokPunct && strings.Contains("+.[(%*,", t[i+3].val) {
			bad[name] = true // "a" + x, "a" % x, "a".format(...)
			continue
		}
		vals[name] = t[i+2].val
	}
	if len(vals) == 0 {
		return
	}
	out := make([]token, len(t))
	copy(out, t)
	for i, tok := range out {
		v, ok := vals[tok.val]
		if tok.kind != tokName || !ok || bad[tok.val] || i+1 < len(out) && out[i+1].kind == tokPunct && (out[i+1].val == "=" || out[i+1].val == "(") {
			continue
		}
		if i > 0 && out[i-1].kind == tokPunct && out[i-1].val == "." {
			continue
		}
		out[i] = token{kind: tokStr, val: v, lit: true}
	}
	cs.toks = out
}

func (cs *codeScan) run() {
	cs.constants()
	c := cs.c
	var alias map[string]string
	if cs.l == langPython {
		alias = cs.aliases()
	}
	for i := 0; i < len(cs.toks); i++ {
		t := cs.toks[i]
		switch t.kind {
		case tokShell:
			cs.shell(t.val, t.lit)
			continue
		case tokStr:
			if t.lit && shellFuncNames[t.val] && cs.l != langAwk {
				// getattr(os, "system"), obj["execSync"]: a shell by name.
				cs.add("interp.shell", c.text)
			}
			if cs.l == langAwk && i+1 < len(cs.toks) && isPipeTok(cs.toks[i+1]) && i+2 < len(cs.toks) && cs.toks[i+2].kind == tokName && cs.toks[i+2].val == "getline" {
				cs.shell(t.val, t.lit) // "cmd" | getline
			}
			continue
		case tokPunct:
			if cs.l == langAwk && isPipeTok(t) && i+1 < len(cs.toks) && cs.toks[i+1].kind == tokStr {
				cs.awkPipe(i)
			}
			continue
		}
		name := t.val
		if alias != nil {
			first, rest, _ := strings.Cut(name, ".")
			if a, ok := alias[first]; ok {
				name = a
				if rest != "" {
					name += "." + rest
				}
			}
		}
		last := name
		if k := strings.LastIndexAny(name, ".:"); k >= 0 {
			last = name[k+1:]
		}
		if i > 0 && cs.toks[i-1].kind == tokPunct && cs.toks[i-1].val == "." {
			name = "." + name // a method on an expression: Path("x").unlink
		}
		next := i + 1
		hasParen := next < len(cs.toks) && cs.toks[next].kind == tokPunct && cs.toks[next].val == "("
		bare := !hasParen && next < len(cs.toks) && (cs.l == langPerl || cs.l == langRuby) && (cs.toks[next].kind == tokStr || cs.toks[next].kind == tokName)
		if cs.l == langAppleScript && last == "script" && i > 0 && cs.toks[i-1].val == "shell" && !hasParen && next < len(cs.toks) && cs.toks[next].kind == tokStr {
			cs.shell(cs.toks[next].val, cs.toks[next].lit) // do shell script "..."
			continue
		}
		if !hasParen && !bare {
			continue
		}
		if cs.l == langJS && hasParen && in(last, "binding", "_linkedBinding", "internalBinding") {
			cs.jsBinding(next)
			continue
		}
		shell, eval, del := cs.isShellCall(name, last), cs.isEval(name, last, next), cs.isDelete(name, last)
		write := !shell && !eval && !del && writeNames[last]
		if !shell && !eval && !del && !write {
			continue
		}
		if cs.calls++; cs.calls > maxCodeCalls {
			cs.s.err = fmt.Errorf("the inline %s code makes more than %d calls that run, evaluate, delete or write; it is blocked because it cannot be checked (put it in a script file)", langNames[cs.l], maxCodeCalls)
			return
		}
		args, _ := callArgs(cs.toks, next)
		switch {
		case shell:
			cs.shellCall(args)
		case eval:
			cs.eval(args)
		case del:
			cs.deleteCall(last, args)
		case cs.isWrite(name, last, args):
			cs.wrote = true
			cs.writeCall(args)
		}
	}
	cs.whole()
}

// jsSpawnBindings are node's internal bindings that start processes
// without child_process.
var jsSpawnBindings = map[string]bool{"spawn_sync": true, "process_wrap": true}

// jsBinding judges process.binding(NAME) and its internal variants: the
// process-spawning bindings, or a name computed at run time, run commands
// the guard cannot see.
func (cs *codeScan) jsBinding(next int) {
	args, _ := callArgs(cs.toks, next)
	if len(args) == 0 || len(args[0]) == 0 {
		return
	}
	if v, ok := literalArg(args[0]); !ok || jsSpawnBindings[v] {
		cs.add("interp.shell", cs.c.text)
	}
}

func isPipeTok(t token) bool { return t.kind == tokPunct && t.val == "|" }

// shell judges a command line the code runs.
func (cs *codeScan) shell(cmd string, lit bool) {
	if !lit {
		cs.add("interp.shell", cs.c.text)
		return
	}
	if strings.TrimSpace(cmd) == "" {
		return
	}
	cs.s.nestedScript(cs.c.lv, cmd)
}

// shellCall judges the arguments of system(...), subprocess.run(...),
// spawn("rm", ["-rf", "/"]) and the like.
func (cs *codeScan) shellCall(args [][]token) {
	if len(args) == 0 || len(args[0]) == 0 {
		return
	}
	if v, ok := literalArg(args[0]); ok {
		words := []string{v}
		if len(args) > 1 {
			if rest, ok := listArg(args[1]); ok {
				words = append(words, rest...) // spawn("rm", ["-rf", "/"]), execv("/bin/rm", [...])
			} else if rest, ok := objectList(args[1], "args"); ok {
				words = append(words, rest...) // new Deno.Command("rm", {args: ["-rf", "/"]})
			} else if all, ok := allLiteral(args); ok && cs.l != langPython && cs.l != langJS {
				words = all // Perl/Ruby/PHP system("rm", "-rf", "/")
			} else {
				cs.shell(v, true)
				return
			}
			cs.shell(quoteWords(words), true)
			return
		}
		cs.shell(v, true)
		return
	}
	if words, ok := listArg(args[0]); ok {
		cs.shell(quoteWords(words), true)
		return
	}
	if words, ok := objectList(args[0], "cmd"); ok {
		cs.shell(quoteWords(words), true) // Deno.run({cmd: ["rm", "-rf", "/"]})
		return
	}
	cs.shell("", false)
}

func allLiteral(args [][]token) ([]string, bool) {
	var out []string
	for _, a := range args {
		v, ok := literalArg(a)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// eval follows exec("literal code") in the same language; exec of a
// base64 literal is decoded first; anything else is code built at run
// time.
func (cs *codeScan) eval(args [][]token) {
	if len(args) == 0 || len(args[0]) == 0 {
		return
	}
	if v, ok := literalArg(args[0]); ok {
		cs.s.scanCode(cs.c, v, cs.l, cs.depth+1)
		return
	}
	for _, t := range args[0] {
		if t.kind == tokName && strings.Contains(strings.ToLower(t.val), "b64decode") || t.kind == tokName && (t.val == "atob" || strings.HasSuffix(t.val, "decode64") || t.val == "base64_decode" || strings.HasSuffix(t.val, "decode_base64")) {
			for _, u := range args[0] {
				if u.kind == tokStr && u.lit && len(u.val) >= 8 {
					if dec, ok := decodeBase64(u.val); ok {
						cs.s.scanCode(cs.c, dec, cs.l, cs.depth+1)
						return
					}
				}
			}
		}
	}
	cs.add("interp.eval", cs.c.text)
}

// deleteCall judges os.remove("x") as `rm x` and shutil.rmtree("x") as
// `rm -rf x`; a path known only at run time asks.
func (cs *codeScan) deleteCall(last string, args [][]token) {
	rec := recursiveDelete[last]
	for _, a := range args {
		for _, t := range a {
			if t.kind == tokName && t.val == "recursive" || t.kind == tokStr && t.val == "recursive" {
				rec = true
			}
		}
	}
	if len(args) == 0 || len(args[0]) == 0 {
		cs.add("interp.delete", cs.c.text)
		return
	}
	p, ok := literalArg(args[0])
	if !ok {
		cs.add("interp.delete", cs.c.text)
		return
	}
	flag := "-f"
	if rec {
		flag = "-rf"
	}
	cs.s.nestedScript(cs.c.lv, "rm "+flag+" -- "+quoteWords([]string{p}))
}

// writeCall reports writes to protected paths given as literals.
func (cs *codeScan) writeCall(args [][]token) {
	for _, a := range args {
		for _, t := range a {
			if t.kind != tokStr || !t.lit {
				continue
			}
			p := strings.TrimLeft(t.val, "+<>| ")
			if p == "" || strings.ContainsAny(p, "\n") {
				continue
			}
			if keys := cs.s.sensitiveWrite(p); len(keys) > 0 {
				cs.add("interp.write_protected", cs.c.text)
				for _, k := range keys {
					cs.add(k, cs.c.text)
				}
			}
		}
	}
}

// whole looks at the code as a whole: a socket with a shell is a
// reverse shell, an HTTP client with a secret is exfiltration, a write
// next to the name of a protected place is a protected write.
func (cs *codeScan) whole() {
	low := cs.low
	if containsAnyOf(low, socketMarkers) && containsAnyOf(low, shellMarkers) {
		cs.add("revshell.interpreter", cs.c.text)
	}
	if containsAnyOf(low, httpMarkers) {
		for _, t := range cs.toks {
			if t.kind == tokStr && t.lit && cs.s.secretPath(t.val) {
				cs.add("exfil.secret_file", cs.c.text)
				break
			}
		}
		if wholeEnvironment(low) {
			cs.add("exfil.environment", cs.c.text)
		}
	}
	if !cs.wrote {
		return
	}
	// A write, and a protected path named anywhere in the code (built
	// with Path(...), os.path.join, expanduser): ask.
	if containsAnyOf(low, protectedMarkers) {
		cs.add("interp.write_protected", cs.c.text)
	}
	if strings.Contains(low, ".hermes") {
		cs.add("hermes.self_tamper", cs.c.text)
	}
	for _, t := range cs.toks {
		if t.kind == tokStr && t.lit && len(t.val) > 1 && strings.ContainsAny(t.val[:1], "/~.") && !strings.Contains(t.val, "\n") {
			for _, k := range cs.s.sensitiveWrite(t.val) {
				cs.add(k, cs.c.text)
			}
		}
	}
}

func containsAnyOf(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// wholeEnvironment reports code that reads every environment variable
// at once (not one named variable).
func wholeEnvironment(low string) bool {
	if containsAnyOf(low, []string{"%env", "env.to_h", "env.to_a", "env.inspect", "getenv()", "/proc/self/environ", "/environ", "os.environb"}) {
		return true
	}
	for _, m := range []string{"os.environ", "process.env", "$_env", "deno.env.toobject"} {
		for from := 0; from < len(low); {
			k := strings.Index(low[from:], m)
			if k < 0 {
				break
			}
			end := from + k + len(m)
			from = end
			if end >= len(low) {
				return true
			}
			rest := low[end:]
			if rest[0] == '[' || rest[0] == '{' || isCodeNameByte(rest[0]) || rest[0] == '.' && !strings.HasPrefix(rest, ".copy") && !strings.HasPrefix(rest, ".items") && !strings.HasPrefix(rest, ".keys") {
				continue // os.environ["KEY"], process.env.KEY, os.environ.get("KEY")
			}
			return true
		}
	}
	return false
}

var (
	socketMarkers    = []string{"socket", "fsockopen", "/inet/tcp", "/inet/udp", "net.connect", "net.createconnection", "require('net')", `require("net")`, "io::socket"}
	shellMarkers     = []string{"/bin/sh", "/bin/bash", "/bin/zsh", "sh -i", "bash -i", "dup2", "pty.spawn", "subprocess", "child_process", "os.system", "exec(", "system(", "popen", "proc_open", "spawn(", "cmd.exe", "\"sh\"", "'sh'", "exec ", "system "}
	httpMarkers      = []string{"urllib", "requests.", "http.client", "httplib", "urlopen", "fetch(", "axios", "http.request", "https.request", "net::http", "lwp", "http::tiny", "curl_", "file_get_contents(\"http", "file_get_contents('http", "socket", "smtplib", "ftplib", "paramiko", "httpx", "aiohttp", "open-uri", "uri.open", "net/http", "http.post", "http.get", "xmlhttprequest", "websocket", "fsockopen"}
	protectedMarkers = []string{".hermes", ".ssh/", "authorized_keys", "/etc/", ".bashrc", ".zshrc", ".profile", ".bash_profile", "sudoers", "crontab"}
)

// Function names, by language, that run a shell command.
var shellFuncNames = map[string]bool{
	"system": true, "popen": true, "check_output": true, "check_call": true, "getoutput": true,
	"getstatusoutput": true, "Popen": true, "execSync": true, "execFileSync": true, "spawnSync": true,
	"shell_exec": true, "passthru": true, "proc_open": true, "pcntl_exec": true,
}

var pyShell = map[string]bool{
	"system": true, "popen": true, "Popen": true, "check_output": true, "check_call": true, "getoutput": true,
	"getstatusoutput": true, "spawn": true, "execv": true, "execve": true, "execvp": true, "execvpe": true,
	"execl": true, "execle": true, "execlp": true, "execlpe": true, "spawnv": true, "spawnve": true, "spawnvp": true,
	"spawnvpe": true, "spawnl": true, "spawnle": true, "spawnlp": true, "spawnlpe": true, "posix_spawn": true,
	"posix_spawnp": true, "create_subprocess_shell": true, "create_subprocess_exec": true, "startfile": true,
}

func (cs *codeScan) isShellCall(name, last string) bool {
	switch cs.l {
	case langPython:
		if name == "platform.system" || strings.HasSuffix(name, ".path.exists") {
			return false
		}
		if last == "run" || last == "call" {
			return strings.HasPrefix(name, "subprocess.") || strings.Contains(cs.low, "from subprocess import")
		}
		return pyShell[last]
	case langPerl:
		return last == "system" || last == "exec"
	case langRuby:
		return in(last, "system", "exec", "spawn", "popen", "capture2", "capture2e", "capture3", "popen2", "popen3", "pipeline")
	case langJS:
		if in(last, "exec", "execFile", "spawn", "fork") {
			return strings.Contains(cs.low, "child_process") || strings.Contains(cs.low, "node:child") || strings.HasPrefix(name, "Bun.")
		}
		return in(last, "execSync", "execFileSync", "spawnSync") || name == "Deno.run" || name == "Deno.Command" || name == "Bun.spawn" || name == "Bun.spawnSync"
	case langPHP:
		return in(last, "system", "exec", "shell_exec", "passthru", "popen", "proc_open", "pcntl_exec")
	case langLua:
		return name == "os.execute" || name == "io.popen"
	case langAwk:
		return last == "system"
	}
	return false
}

func (cs *codeScan) isEval(name, last string, next int) bool {
	switch cs.l {
	case langPython:
		return (name == "exec" || name == "eval" || name == "compile" || name == "builtins.exec" || name == "builtins.eval")
	case langPerl:
		// eval { ... } is a block, not code from a string.
		return last == "eval" && !(next < len(cs.toks) && cs.toks[next].val == "{")
	case langRuby:
		return in(last, "eval", "instance_eval", "class_eval", "module_eval")
	case langJS:
		return name == "eval" || name == "Function" || in(last, "runInNewContext", "runInThisContext", "runInContext")
	case langPHP:
		return in(last, "eval", "assert", "create_function")
	case langLua:
		return in(name, "load", "loadstring", "dostring")
	}
	return false
}

var recursiveDelete = map[string]bool{"rmtree": true, "rm_rf": true, "rm_r": true, "remove_dir": true, "remove_entry": true, "remove_entry_secure": true, "remove_tree": true, "removedirs": true}

func (cs *codeScan) isDelete(name, last string) bool {
	switch cs.l {
	case langPython:
		return name == "os.remove" || in(last, "unlink", "rmdir", "removedirs", "rmtree")
	case langPerl, langPHP:
		return in(last, "unlink", "rmdir", "rmtree", "remove_tree")
	case langRuby:
		return strings.HasPrefix(name, "FileUtils.") && in(last, "rm", "rm_f", "rm_r", "rm_rf", "remove", "remove_dir", "remove_entry", "remove_entry_secure", "rmtree", "rmdir") ||
			in(name, "File.delete", "File.unlink", "Dir.rmdir", "Dir.delete", "Dir.unlink")
	case langJS:
		return in(last, "rmSync", "unlinkSync", "rmdirSync") || in(last, "rm", "unlink", "rmdir", "remove", "removeSync") && (strings.Contains(strings.ToLower(name), "fs") || strings.HasPrefix(name, "Deno."))
	case langLua:
		return name == "os.remove"
	}
	return false
}

func (cs *codeScan) isWrite(name, last string, args [][]token) bool {
	switch last {
	case "open", "fopen", "sysopen":
		if cs.l == langPerl {
			return true // open(F, ">x"): writeCall keeps what names a protected path
		}
		for _, a := range args[min(1, len(args)):] {
			for _, t := range a {
				if t.kind == tokStr && t.lit && t.val != "" && strings.Trim(t.val, "rwaxbt+") == "" && strings.ContainsAny(t.val, "wax+") {
					return true
				}
			}
		}
		return false
	case "write_text", "write_bytes", "writeFileSync", "writeFile", "appendFileSync", "appendFile", "createWriteStream",
		"copyFileSync", "copyFile", "renameSync", "rename", "symlinkSync", "symlink", "file_put_contents", "copy", "copy2",
		"copyfile", "move", "replace", "write", "binwrite", "writeTextFile", "truncate", "link", "cp", "mv", "ln_s", "ln_sf", "install":
		return last != "write" || cs.l == langRuby || cs.l == langJS && strings.HasPrefix(name, "Deno.")
	}
	return false
}

// awkPipe handles `print "cmd" | "sh"` and `print x | "cmd"` in awk.
func (cs *codeScan) awkPipe(i int) {
	target := cs.toks[i+1]
	if !target.lit {
		cs.add("interp.shell", cs.c.text)
		return
	}
	fields := strings.Fields(target.val)
	if len(fields) > 0 && shellNames[strings.TrimPrefix(fields[0], "/bin/")] && len(fields) == 1 {
		// The printed text is the script: known only when it is one literal.
		j := i - 1
		if j >= 1 && cs.toks[j].kind == tokStr && cs.toks[j-1].kind == tokName && cs.toks[j-1].val == "print" {
			cs.shell(cs.toks[j].val, cs.toks[j].lit)
			return
		}
		cs.add("interp.shell", cs.c.text)
		return
	}
	cs.shell(target.val, true)
}
