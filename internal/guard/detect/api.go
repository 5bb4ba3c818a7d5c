// Package detect finds what is dangerous in a shell command: it parses the
// command with mvdan.cc/sh, normalises every word, walks every simple
// command (inside sh -c / bash -c strings, eval, $( ), backticks, <( ),
// pipelines, subshells, functions, and behind xargs, env, sudo, nohup,
// timeout, nice, exec) and matches each against the hardline blocklist
// and the dangerous-command categories. It decides nothing: internal/guard
// turns a Result into allow, ask or block.
package detect

// Match is one hardline or dangerous pattern found in a command.
type Match struct {
	Key         string `json:"key"`         // stable id, e.g. "hardline.rm_root", "rm.recursive"
	Category    string `json:"category"`    // group of the key: "hardline", "delete", "permissions", "remote_code", ...
	Description string `json:"description"` // one human sentence: what the pattern means
	Command     string `json:"command"`     // the simple command (normalised text) that matched
	Hardline    bool   `json:"hardline"`    // on the hardline blocklist: blocked in every mode
}

// Options says where the command would run, for folding home paths and
// recognising the hermes home's sensitive files.
type Options struct {
	Home       string // the user's home directory (~ and $HOME fold to it)
	HermesHome string // the hermes home: writes to its .env, auth.json and config.yaml are sensitive
	Cwd        string // working directory, to resolve relative paths such as `rm -rf ..`
}

// Result is what Scan found.
type Result struct {
	Normalized  string   // the whole command after Normalize, as matched
	Matches     []Match  // every match, hardline first, no duplicate keys per command
	Commands    []string // every simple command found, normalised, in source order
	Argvs       []string // every command as it will run: wrappers looked through, words resolved, one space apart (for deny globs)
	Compound    bool     // more than one simple command (lists, pipes, substitutions, nested shells)
	Unparseable error    // non-nil when the command cannot be parsed; the caller must block it
}

// Hardline reports whether any match is on the hardline blocklist.
func (r Result) Hardline() bool {
	for _, m := range r.Matches {
		if m.Hardline {
			return true
		}
	}
	return false
}

// Keys returns the keys of the matches, in order, without duplicates.
func (r Result) Keys() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range r.Matches {
		if !seen[m.Key] {
			seen[m.Key] = true
			out = append(out, m.Key)
		}
	}
	return out
}
