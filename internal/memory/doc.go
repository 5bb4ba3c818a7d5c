// Package memory owns the agent's two memory files in <home>/memories:
// MEMORY.md (the agent's own notes) and USER.md (what it knows about the
// user). Each file is a list of entries separated by a line holding only
// "§", and each has a character limit (memory.memory_char_limit,
// memory.user_char_limit).
//
// Every change is scanned for prompt injection and exfiltration with the
// context-file scanner, written atomically, and made under an advisory lock
// so two hermes processes can write at once without losing an entry. When a
// change takes a file over its limit the oldest entries move to
// memories/ARCHIVE.jsonl, so nothing is ever dropped.
//
// Snapshot renders both files for the system prompt. It is a value taken at
// session start: changes made during the session reach the next one. What
// is loaded is scanned again (Checked), since a file on disk may have been
// changed by hand or by another program: an entry with a finding is
// replaced by a [BLOCKED: ...] line and a warning is logged, so a poisoned
// file never reaches a prompt. The memory tool's read does the same.
package memory
