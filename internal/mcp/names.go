package mcp

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strconv"
	"strings"
)

// maxNameLen is the longest tool name providers accept.
const maxNameLen = 64

// Toolset is the toolset of server's tools.
func Toolset(server string) string { return "mcp-" + server }

// ToolName is the name the model sees for tool of server:
// "mcp_<server>_<tool>", every character outside [A-Za-z0-9_-] replaced by
// "_". A name longer than 64 characters is cut and ends in a short hash of
// the full name, so two long names stay distinct. The "mcp_" prefix keeps
// it apart from every built-in tool.
func ToolName(server, tool string) string {
	full := sanitize("mcp_" + server + "_" + tool)
	if len(full) <= maxNameLen {
		return full
	}
	sum := sha256.Sum256([]byte(server + "\x00" + tool))
	suffix := "_" + hex.EncodeToString(sum[:4])
	return full[:maxNameLen-len(suffix)] + suffix
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// selected reports whether tool passes include (empty: every tool) and
// exclude. Patterns are path.Match globs; a malformed one matches nothing.
func selected(tool string, include, exclude []string) bool {
	if len(include) > 0 && !matchAny(include, tool) {
		return false
	}
	return !matchAny(exclude, tool)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(p, name); err == nil && ok {
			return true
		}
	}
	return false
}

// uniqueNames assigns each tool of one server a distinct exposed name:
// tools whose sanitised names collide get "_2", "_3", ... (cut to fit).
func uniqueNames(server string, tools []string, taken map[string]bool) []string {
	out := make([]string, len(tools))
	for i, t := range tools {
		name := ToolName(server, t)
		for n := 2; taken[name]; n++ {
			suffix := "_" + strconv.Itoa(n)
			base := ToolName(server, t)
			if len(base)+len(suffix) > maxNameLen {
				base = base[:maxNameLen-len(suffix)]
			}
			name = base + suffix
		}
		taken[name] = true
		out[i] = name
	}
	return out
}
