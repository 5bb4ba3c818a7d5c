// Package skills owns the skill trees: <home>/skills/<category>/<name>/
// SKILL.md in the agentskills.io format (YAML frontmatter with name and
// description, a Markdown body) with optional references/, templates/ and
// scripts/, plus the trees of skills.external_dirs.
//
// Load reads every tree into a Set; a broken SKILL.md is a Problem with
// its file and line and is skipped, never fatal. Every skill, the home's
// own and those of external trees, is scanned for prompt injection
// (SKILL.md and references/, all of it, past the scanner's 64 KiB window)
// as it is loaded, since a file on disk may have changed since skill_manage
// scanned it: a hit blocks the skill and logs a warning. Index renders
// names and descriptions for the system prompt (progressive disclosure)
// and a [BLOCKED: ...] line for each blocked skill; View loads one skill or
// one of its files and scans what it loads again. Create, Patch and Remove are what the agent's skill_manage and
// hermes skills do: names are checked, content is scanned, writes are
// atomic and serialised by a lock.
package skills
