// Package skills owns the skill trees: <home>/skills/<category>/<name>/
// SKILL.md in the agentskills.io format (YAML frontmatter with name and
// description, a Markdown body) with optional references/, templates/ and
// scripts/, plus the trees of skills.external_dirs.
//
// Load reads every tree into a Set; a broken SKILL.md is a Problem with
// its file and line and is skipped, never fatal. Skills from external trees
// are scanned for prompt injection (SKILL.md and references/) before use:
// a hit blocks the skill. Index renders names and descriptions for the
// system prompt (progressive disclosure); View loads one skill or one of
// its files. Create, Patch and Remove are what the agent's skill_manage and
// hermes skills do: names are checked, content is scanned, writes are
// atomic and serialised by a lock.
package skills
