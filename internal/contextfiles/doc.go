// Package contextfiles owns which context files hermes puts into the system
// prompt and the prompt-injection scan that can keep them out (security
// layer 5). The same scan, ScanText, guards memory writes and skills.
//
// Discovery (Discover) picks SOUL.md from the hermes home, then the first
// project family that exists from the working directory: .hermes.md or
// HERMES.md (nearest up to the git root), the AGENTS.md chain (git root
// down to cwd), CLAUDE.md (nearest), or .cursorrules with
// .cursor/rules/*.mdc. A family "exists" when one of its files exists,
// even an empty one, so an empty .hermes.md switches project context off.
//
// Load reads each file up to Options.MaxBytes (a longer file is cut at a
// character boundary and the prompt says so) and scans it. Any finding
// blocks the whole file: the prompt gets BlockedNotice instead of the
// text and slog logs a warning with the file and the finding ids.
//
// The scan normalises with NFKC, drops format and tag characters and reads
// Cyrillic and Greek look-alikes as Latin letters (confusables.go; only in
// words that mix them with Latin or consist of them, so Russian and Greek
// text keeps its letters) before matching, so fullwidth letters, zero-width
// characters between letters and "іgnоrе" do not hide a phrase; findings
// still point at the original text (1-based line, excerpt with invisible
// characters written as <U+200B>). Base64 runs that decode to printable
// text are scanned too (base64_payload names the inner finding). Every
// expression is RE2, so scanning is linear in the input. Decisions that
// keep false positives low on real AGENTS.md files:
//
//   - Code fences are scanned like prose: the model reads them too, so a
//     README quoting "ignore previous instructions" in a fence is blocked.
//   - A phrase right after a negation is advice, not an attack: "never
//     reveal your system prompt", "do not bypass the filters".
//   - HTML comments count only when they hold instructions (ignore ...,
//     you must, send secrets, run curl/rm -rf silently, a note to the AI);
//     "<!-- markdownlint-disable -->" or "<!-- run make docs -->" do not.
//   - Hidden elements count only when followed by text; void elements
//     (img, input, ...) never do.
//   - [System] as a Markdown link, reference or TOML table is not a tag,
//     and <System> right after a word (Array<System>) is a type, not a tag.
//   - Network commands count only with a secret-looking $VARIABLE (KEY,
//     TOKEN, SECRET, PASSWORD, AUTH, ...) or the environment; a secret file
//     counts only when it leaves: piped to a network, encoding or
//     interpreter command, posted, redirected to /dev/tcp or copied off the
//     machine. "cat .env | grep X", ".env.example" and "id_rsa.pub" do not.
//   - A byte order mark at the very start of a file is an encoding marker;
//     U+FEFF anywhere else is an invisible character.
//   - ZWJ between emoji (👨‍👩‍👧), ZWJ and ZWNJ between letters of scripts
//     that use them (Persian, Indic) and the tag letters of a subdivision
//     flag are text, not hidden characters.
//   - A token in an Authorization or API-key header (or curl -u) only
//     authenticates the request: API docs show them.
//   - A <system> tag in backticks or quotes, or named as an "element" or
//     "tag", is documentation about the tag.
//   - Command-and-control wording counts when addressed to the assistant
//     (an imperative: "Register as a node", "you must send a heartbeat
//     to"), not when a README says workers send heartbeats.
//   - "Do not tell the user" counts only about this ("do not tell the user
//     about this", "... this to the user"), not "do not tell the user to
//     run sudo".
//
// ScanText looks at the first ScanLimit (64 KiB) of a text. Load and
// ScanPaths scan everything they load, since all of it reaches the model;
// with the default MaxBytes that is the same 64 KiB.
package contextfiles
