package migrate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hermes-go/hermes/internal/llm"
)

// maxLine bounds one line of a transcript (a huge tool result).
const maxLine = 32 << 20

// readClawSessions lists agents/<id>/sessions/*.jsonl; sessions.json, when
// there, says which chat each belongs to (its key names the channel).
func readClawSessions(b *bundle, src string) {
	dirs, _ := filepath.Glob(filepath.Join(src, "agents", "*", "sessions"))
	sort.Strings(dirs)
	for _, dir := range dirs {
		sources := clawSessionSources(filepath.Join(dir, "sessions.json"))
		files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
		sort.Strings(files)
		for _, path := range files {
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() {
				b.note("session", filepath.Base(path), Skipped, "not a regular file (a link?)", path)
				continue
			}
			f, err := os.Open(path)
			if err != nil {
				b.note("session", filepath.Base(path), Failed, err.Error(), path)
				continue
			}
			hdr, err := readTranscriptHeader(f)
			f.Close()
			if err != nil {
				b.note("session", filepath.Base(path), Failed, err.Error(), path)
				continue
			}
			id := hdr.ID
			if id == "" {
				id = strings.TrimSuffix(filepath.Base(path), ".jsonl")
			}
			started := hdr.Time
			if started.IsZero() {
				started = fi.ModTime().UTC()
			}
			p := path
			source := sources[id]
			if source == "" {
				source = "cli"
			}
			b.sessions = append(b.sessions, srcSession{ID: id, Source: source, Started: started, Ended: fi.ModTime().UTC(), Where: path,
				load: func() ([]llm.Message, error) {
					f, err := os.Open(p)
					if err != nil {
						return nil, err
					}
					defer f.Close()
					msgs, _, err := parseTranscript(f)
					return msgs, err
				}})
		}
	}
}

// clawSessionSources maps session ids to the platform in their key
// (agent:main:telegram:dm:123 -> telegram).
func clawSessionSources(path string) map[string]string {
	out := map[string]string{}
	data, err := readSmall(path)
	if err != nil {
		return out
	}
	var m map[string]struct {
		SessionID string `json:"sessionId"`
	}
	if json.Unmarshal(data, &m) != nil {
		return out
	}
	for key, e := range m {
		parts := strings.Split(key, ":")
		if len(parts) >= 3 && parts[0] == "agent" && validPlatform(parts[2]) && parts[2] != "main" {
			out[e.SessionID] = parts[2]
		}
	}
	return out
}

type transcriptHeader struct {
	ID   string
	Time time.Time
}

// clawLine is one line of a transcript: a header, a message, or an
// entry we do not need (model changes, compaction marks).
type clawLine struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Timestamp string          `json:"timestamp"`
	Message   json.RawMessage `json:"message"`
}

type clawMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCallID string          `json:"toolCallId"`
	IsError    bool            `json:"isError"`
}

type clawPart struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

func readTranscriptHeader(r io.Reader) (transcriptHeader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l clawLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return transcriptHeader{}, fmt.Errorf("line 1: not JSON: %v", err)
		}
		if l.Type != "session" {
			return transcriptHeader{}, nil
		}
		t, _ := time.Parse(time.RFC3339Nano, l.Timestamp)
		return transcriptHeader{ID: l.ID, Time: t.UTC()}, nil
	}
	return transcriptHeader{}, sc.Err()
}

// parseTranscript reads an OpenClaw session transcript (JSON lines) into
// our messages; it returns how many lines it could not use.
func parseTranscript(r io.Reader) ([]llm.Message, int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	var out []llm.Message
	bad := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l clawLine
		if json.Unmarshal([]byte(line), &l) != nil {
			bad++
			continue
		}
		if l.Type != "message" || len(l.Message) == 0 {
			continue
		}
		var m clawMessage
		if json.Unmarshal(l.Message, &m) != nil {
			bad++
			continue
		}
		if msg, ok := convertClawMessage(m); ok {
			out = append(out, msg)
		}
	}
	return cleanMessages(out), bad, sc.Err()
}

func convertClawMessage(m clawMessage) (llm.Message, bool) {
	text, calls := clawContent(m.Content)
	switch m.Role {
	case "user":
		return llm.Message{Role: llm.RoleUser, Content: text}, true
	case "assistant":
		return llm.Message{Role: llm.RoleAssistant, Content: text, ToolCalls: calls}, true
	case "toolResult", "tool":
		return llm.Message{Role: llm.RoleTool, Content: text, ToolCallID: m.ToolCallID, IsError: m.IsError}, true
	}
	return llm.Message{}, false
}

// clawContent reads content: a string, or parts (text, toolCall; thinking
// and images are left out).
func clawContent(raw json.RawMessage) (string, []llm.ToolCall) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []clawPart
	if json.Unmarshal(raw, &parts) != nil {
		return "", nil
	}
	var texts []string
	var calls []llm.ToolCall
	for _, p := range parts {
		switch p.Type {
		case "text":
			texts = append(texts, p.Text)
		case "toolCall", "tool_use":
			args := string(p.Arguments)
			var str string
			if json.Unmarshal(p.Arguments, &str) == nil {
				args = str
			}
			if args == "" || args == "null" {
				args = "{}"
			}
			calls = append(calls, llm.ToolCall{ID: p.ID, Name: p.Name, Arguments: args})
		}
	}
	return strings.Join(texts, "\n"), calls
}
