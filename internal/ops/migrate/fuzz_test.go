package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hermes-go/hermes/internal/config"
)

// FuzzJSON5 checks that json5ToYAML never panics, keeps line numbers,
// and reads plain JSON the way encoding/json does.
func FuzzJSON5(f *testing.F) {
	seed, _ := os.ReadFile("testdata/openclaw-home/openclaw.json")
	f.Add(seed)
	f.Add([]byte(`{"a": [1, 2,], b: 'x', /* c */ "d": {"e": null}}`))
	f.Add([]byte(`{"url": "http://x//y", "s": "a\"b:c"}`))
	f.Add([]byte("// only a comment"))
	f.Add([]byte(`{"a":1`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := json5ToYAML(in)
		if err != nil {
			return
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(in, []byte("\n")) {
			t.Fatalf("lines moved: %q -> %q", in, out)
		}
		ls, err := leaves(out)
		if err != nil || !json.Valid(in) {
			return
		}
		var want any
		if json.Unmarshal(in, &want) != nil {
			return
		}
		m, ok := want.(map[string]any)
		if !ok || len(ls) == 0 {
			return
		}
		for _, l := range ls {
			if l.Line < 1 {
				t.Fatalf("leaf %s has no line", l.Path)
			}
			if strings.Contains(l.Path, ".") {
				continue // nested: compared through the top level only
			}
			got, ok := m[l.Path]
			if !ok {
				continue // a key with dots of its own
			}
			if _, isMap := got.(map[string]any); isMap {
				continue
			}
			if render(normalize(got)) != render(normalize(l.Value)) {
				t.Fatalf("%s: json %v, yaml %v (%q)", l.Path, got, l.Value, out)
			}
		}
	})
}

// normalize makes JSON numbers and YAML numbers comparable.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// FuzzLeaves: any config file either fails cleanly or yields leaves
// whose mapping never panics and never maps a secret into config.yaml.
func FuzzLeaves(f *testing.F) {
	seed, _ := os.ReadFile("testdata/hermes-home/config.yaml")
	f.Add(seed)
	f.Add([]byte("a: &x {b: 1}\nc: *x\n"))
	f.Add([]byte("model: [1, {2: 3}]\n"))
	f.Add([]byte("<<: {a: 1}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ls, err := leaves(in)
		if err != nil {
			return
		}
		b := &bundle{}
		mapLeaves(b, "config.yaml", ls, hermesRules)
		mapLeaves(b, "openclaw.json", ls, clawRules)
		for _, c := range b.config {
			if strings.HasSuffix(c.Key, "api_key") || strings.HasPrefix(c.Key, "env:") {
				t.Fatalf("%s mapped to config key %s", c.Src, c.Key)
			}
		}
	})
}

// FuzzTranscript: an OpenClaw transcript never panics the reader and
// every message it yields is one our store keeps.
func FuzzTranscript(f *testing.F) {
	seed, _ := os.ReadFile("testdata/openclaw-home/agents/main/sessions/5f1c0e2a-0000-4000-8000-000000000001.jsonl")
	f.Add(seed)
	f.Add([]byte(`{"type":"message","message":{"role":"assistant","content":[{"type":"toolCall","arguments":"x"}]}}`))
	f.Add([]byte(`{"type":"message","message":{"role":"user","content":7}}` + "\n\n{"))
	f.Fuzz(func(t *testing.T, in []byte) {
		msgs, _, err := parseTranscript(bytes.NewReader(in))
		if err != nil {
			return
		}
		for _, m := range msgs {
			if m.Role != "user" && m.Role != "assistant" && m.Role != "tool" {
				t.Fatalf("role %q kept", m.Role)
			}
		}
		readTranscriptHeader(bytes.NewReader(in))
	})
}

// FuzzJobs: a job of either source converts to one that passes our
// checks, or is reported with a reason; never a panic.
func FuzzJobs(f *testing.F) {
	f.Add([]byte(`{"id":"a1b2c3d4e5f6","name":"n","prompt":"p","schedule":{"kind":"cron","expr":"0 9 * * *"},"deliver":"origin","origin":{"platform":"telegram","chat_id":5}}`))
	f.Add([]byte(`{"name":"n","prompt":"p","schedule":{"kind":"interval","minutes":0.5},"deliver":["telegram:1","local"]}`))
	f.Add([]byte(`{"name":"n","payload":{"kind":"agentTurn","message":"m"},"schedule":{"kind":"every","everyMs":1e12},"delivery":{"mode":"announce","channel":"x y","to":"1"}}`))
	f.Add([]byte(`{"schedule":{"kind":"once","run_at":"2030-01-01T00:00:00Z"},"prompt":"x","name":"y"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var pj pyJob
		if json.Unmarshal(in, &pj) == nil {
			if j, why := convertHermesJob(pj, testNow); why == "" {
				if err := j.Check(); err != nil {
					t.Fatalf("hermes job converted but invalid: %v (%s)", err, in)
				}
			}
		}
		var cj clawJob
		if json.Unmarshal(in, &cj) == nil {
			if j, _, why := convertClawJob(cj, testNow); why == "" {
				if err := j.Check(); err != nil {
					t.Fatalf("openclaw job converted but invalid: %v (%s)", err, in)
				}
			}
		}
		parseOpenAICalls(string(in))
	})
}

// TestEnvRoundTrip: every value written to .env reads back the same.
func TestEnvRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"plain", "with space", `quo"te`, "it's", "a#b", "x=y", `back\slash`, "line\nbreak", "$HOME", "tab\there", "'both' \"kinds\""} {
		data := []byte("K=" + quoteEnv(v) + "\n")
		env, probs := config.ParseEnv(".env", data)
		if len(probs) != 0 {
			t.Errorf("%q: %v", v, probs)
			continue
		}
		if got, _ := env.Lookup("K"); got != v {
			t.Errorf("%q wrote %q, read back %q", v, data, got)
		}
	}
}

func TestParseOpenAICalls(t *testing.T) {
	t.Parallel()
	got := parseOpenAICalls(`[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"c2","function":{"name":"g","arguments":{"b":2}}}]`)
	if len(got) != 2 || got[0].Arguments != `{"a":1}` || got[1].Arguments != `{"b":2}` || !reflect.DeepEqual(got[1].Name, "g") {
		t.Fatalf("%+v", got)
	}
}

// TestRulesNameOurKeys: every key a rule maps onto is in our schema.
func TestRulesNameOurKeys(t *testing.T) {
	t.Parallel()
	c := &config.Config{}
	for _, rules := range [][]rule{hermesRules, clawRules} {
		for _, r := range rules {
			if r.Dst == "" || strings.HasPrefix(r.Dst, "env:") {
				continue
			}
			key := strings.Replace(r.Dst, "*", "x", 1)
			_, err := config.Get(c, key)
			var unknown *config.UnknownKeyError
			if errors.As(err, &unknown) {
				t.Errorf("%s -> %s: %v", r.Src, r.Dst, err)
			}
		}
	}
}

func TestLongReportIsSummarized(t *testing.T) {
	t.Parallel()
	r := &Report{From: FromHermes}
	for i := 0; i < 100; i++ {
		r.Items = append(r.Items, Item{Kind: "session", Name: fmt.Sprintf("s%d", i), Status: Imported})
	}
	r.Items = append(r.Items, Item{Kind: "session", Name: "broken", Status: Failed, Reason: "bad row"})
	r.count()
	var sb strings.Builder
	r.WriteText(&sb)
	out := sb.String()
	if strings.Contains(out, "s42") || !strings.Contains(out, "imported  100") || !strings.Contains(out, "broken") {
		t.Errorf("report:\n%s", out)
	}
}
