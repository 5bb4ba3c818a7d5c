// Package skills holds the skill tools (toolset "skills"): skills_list,
// skill_view and skill_manage, over internal/skills. The session's skill
// set is loaded once per session and reloaded by skill_manage.
package skills

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/hermes-go/hermes/internal/config"
	sk "github.com/hermes-go/hermes/internal/skills"
	"github.com/hermes-go/hermes/internal/tools"
)

func init() {
	for _, t := range []tools.Tool{List{}, View{}, Manage{}} {
		tools.Default.Register(t)
	}
}

var (
	_ tools.Tool = List{}
	_ tools.Tool = View{}
	_ tools.Tool = Manage{}
)

type stateKey struct{}

// state is a session's skills config and lazily loaded set.
type state struct {
	once sync.Once
	cfg  config.Skills
	set  *sk.Set
}

// Configure sets env's session skills config (skills.* in config). Call it
// when the session starts, before the first skill call; a session never
// configured uses the defaults.
func Configure(env *tools.Env, cfg config.Skills) {
	env.Values.Load(stateKey{}, func() any { return &state{cfg: cfg} })
}

func session(env *tools.Env) *state {
	def := func() any { return &state{cfg: config.Default().Skills} }
	var st *state
	if env.Values == nil {
		st = def().(*state) // no session state: load afresh each call
	} else {
		st = env.Values.Load(stateKey{}, def).(*state)
	}
	st.once.Do(func() { st.set, _ = sk.Load(env.Home, st.cfg) })
	return st
}

func schema(s string) json.RawMessage { return json.RawMessage(s) }

// List is skills_list.
type List struct{}

func (List) Name() string    { return "skills_list" }
func (List) Toolset() string { return "skills" }
func (List) Description() string {
	return "List the available skills (reusable procedures) with their descriptions, optionally of one category. Load one with skill_view before following it."
}
func (List) Schema() json.RawMessage {
	return schema(`{"type":"object","properties":{"category":{"type":"string","description":"only this category"}},"additionalProperties":false}`)
}

func (List) Run(_ context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a struct {
		Category string `json:"category"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return tools.Errorf("skills_list: bad arguments (%v); category is a string", err), nil
	}
	var b strings.Builder
	for _, s := range session(env).set.Available() {
		if a.Category != "" && s.Category != a.Category {
			continue
		}
		fmt.Fprintf(&b, "%s [%s]: %s\n", s.Name, category(s), strings.Join(strings.Fields(s.Description), " "))
	}
	if a.Category == "" {
		for _, l := range session(env).set.BlockedNotices() {
			b.WriteString(l + "\n")
		}
	}
	if b.Len() == 0 {
		if a.Category != "" {
			return tools.Result{Content: fmt.Sprintf("no skills in category %q", a.Category)}, nil
		}
		return tools.Result{Content: "no skills yet; create one with skill_manage when you solve a task worth repeating"}, nil
	}
	return tools.Result{Content: strings.TrimSuffix(b.String(), "\n")}, nil
}

func category(s *sk.Skill) string {
	if s.Category == "" {
		return sk.DefaultCategory
	}
	return s.Category
}

// View is skill_view.
type View struct{}

func (View) Name() string    { return "skill_view" }
func (View) Toolset() string { return "skills" }
func (View) Description() string {
	return "Load a skill's SKILL.md (its instructions and the list of its files), or one of its files with file (e.g. references/api.md)."
}
func (View) Schema() json.RawMessage {
	return schema(`{"type":"object","properties":{"name":{"type":"string","description":"the skill name"},"file":{"type":"string","description":"a file under the skill, relative to it; omit for SKILL.md"}},"required":["name"],"additionalProperties":false}`)
}

func (View) Run(_ context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a struct{ Name, File string }
	if err := json.Unmarshal(raw, &a); err != nil || a.Name == "" {
		return tools.Errorf("skill_view: give name (and optionally file) as strings"), nil
	}
	text, err := session(env).set.View(a.Name, a.File)
	if err != nil {
		return tools.Errorf("skill_view: %v", err), nil
	}
	return tools.Result{Content: text}, nil
}

// Manage is skill_manage.
type Manage struct{}

func (Manage) Name() string    { return "skill_manage" }
func (Manage) Toolset() string { return "skills" }
func (Manage) Description() string {
	return "Create, patch or remove your own skills. After solving a task worth repeating, create a skill: content is a full SKILL.md (YAML frontmatter with name and description, then Markdown steps). patch replaces old_text (unique) with new_text in SKILL.md or in file. Skills from external directories are read-only."
}
func (Manage) Schema() json.RawMessage {
	return schema(`{"type":"object","properties":{
"action":{"type":"string","enum":["create","patch","remove"]},
"name":{"type":"string","description":"lowercase letters, digits and hyphens"},
"category":{"type":"string","description":"for create; default general"},
"content":{"type":"string","description":"for create: the whole SKILL.md"},
"file":{"type":"string","description":"for patch: a file under the skill; omit for SKILL.md"},
"old_text":{"type":"string","description":"for patch: text that occurs once"},
"new_text":{"type":"string","description":"for patch: its replacement"}},
"required":["action","name"],"additionalProperties":false}`)
}

type manageArgs struct {
	Action   string `json:"action"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Content  string `json:"content"`
	File     string `json:"file"`
	OldText  string `json:"old_text"`
	NewText  string `json:"new_text"`
}

func (Manage) Run(ctx context.Context, env *tools.Env, raw json.RawMessage) (tools.Result, error) {
	var a manageArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return tools.Errorf("skill_manage: bad arguments (%v); every field is a string", err), nil
	}
	st := session(env)
	if !st.cfg.AllowManage {
		return tools.Errorf("skill_manage is off (skills.allow_manage: false); tell the user what you would save instead"), nil
	}
	var err error
	var msg string
	switch a.Action {
	case "create":
		if a.Content == "" {
			return tools.Errorf("skill_manage: create needs content, the whole SKILL.md"), nil
		}
		var s *sk.Skill
		if s, err = st.set.Create(ctx, a.Name, a.Category, a.Content); err == nil {
			msg = fmt.Sprintf("created skill %s in category %s", s.Name, category(s))
		}
	case "patch":
		if err = st.set.Patch(ctx, a.Name, a.File, a.OldText, a.NewText); err == nil {
			msg = fmt.Sprintf("patched %s of skill %s", fileName(a.File), a.Name)
		}
	case "remove":
		if err = st.set.Remove(ctx, a.Name); err == nil {
			msg = "removed skill " + a.Name
		}
	default:
		return tools.Errorf("skill_manage: unknown action %q; use create, patch or remove", a.Action), nil
	}
	if err != nil {
		return tools.Errorf("skill_manage: %v", err), nil
	}
	return tools.Result{Content: msg}, nil
}

func fileName(f string) string {
	if f == "" {
		return sk.SkillFile
	}
	return f
}
