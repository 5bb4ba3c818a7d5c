// Package guard owns the decision for every shell command the agent runs
// (the terminal tool, cron scripts, hooks): allow, ask a human, or block.
//
// The decisions are pure. Explain turns a command, a Policy, a Session and
// a Context into a Report, in the order of security layer 2:
//
//  1. hardline blocklist, and commands that cannot be parsed: block, always
//  2. deny globs (approvals.deny): block
//  3. bypass (/yolo in the session, approvals.mode: off): allow
//  4. permanent allowlist (command_allowlist), never for compound commands
//  5. a grant in this session for this exact command and cwd
//  6. nothing dangerous found: allow
//  7. a container without host mounts (approvals.container_skip): allow
//  8. unattended contexts: approvals.unattended says deny, ask the judge, or allow
//  9. otherwise: ask
//
// Guard.Check acts on an Ask: in smart mode it asks the Judge (an auxiliary
// model) first, then the human through an Approver, with a timeout after
// which silence is a deny. It does no I/O of its own beyond those two and
// the AllowlistStore that "always" answers write to.
//
// Everything a session accumulates (grants, /yolo, the smart-mode denial
// streak, pending prompts) lives in its Session value, so nothing granted
// in one session applies in another (security layer 6). There is no
// package-level mutable state.
package guard
