// Package redact owns secret redaction: the one place that decides what
// looks like a credential and how it is masked before text reaches a log,
// a terminal, the session database, a chat delivery or telemetry.
//
// A Redactor is built once from Options and is immutable afterwards, so it
// is safe for concurrent use. It works line by line: each line is first
// scanned once with cheap byte checks (the longest run of token characters,
// whether a key word such as "token" or "passw" occurs, whether it has '=',
// ':', '@' or "-----"), and only lines that could hold a secret are given
// to the regular expressions (Go's RE2, so matching is linear). Lines with
// invisible characters (zero-width, bidi controls, soft hyphen, variation
// selectors, Hangul fillers, tag characters, U+2028), control characters
// (ANSI colour codes included) or a tab inside a token are matched on a
// view with those characters removed, and the original span, invisible
// characters and all, is replaced.
//
// Besides prefixed vendor tokens it knows unlabelled shapes: JWTs (whole,
// two-part or a bare header), Telegram bot tokens, webhook URLs, tokens as
// URL userinfo, mysql -pPASS, sshpass -p, .netrc passwords, session
// cookies and an AWS secret key next to its access key id. A value that
// is a word, a path, a call, a template or a public key is never masked.
//
// Only the secret itself is masked, with Mask: "KEY=", "Bearer ", a JSON
// key, a URL's user and host all stay. Private key blocks in PEM form keep
// their BEGIN and END lines; the body becomes a single "***" line.
//
// Init freezes the process-wide redactor once, at start; Default returns
// it, and before Init it returns the built-in detectors, never a
// pass-through. Options.Extra patterns can only add matches.
//
// Streams (Copy, Writer) give exactly the same output as String for the
// same input however it is chunked: lines are buffered to their end, and a
// line longer than the line cap (1 MiB) is cut into windows at points that
// no match spans, so a secret is never split.
package redact
