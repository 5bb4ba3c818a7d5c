// Package mcp owns the MCP servers hermes is a client of (config
// mcp_servers): starting them, supervising them, and turning each server's
// tools into tools.Tool values of the toolset "mcp-<server>".
//
// Servers speak stdio (command, args, env, cwd), streamable HTTP or SSE
// (url, headers), through the official SDK. Security layer 4 applies to
// stdio servers: a server's environment is the allowlist PATH HOME USER
// LANG LC_ALL TERM SHELL TMPDIR XDG_* taken from hermes's environment, plus
// the server's own env block, and nothing else; `${VAR}` in env values, args, the URL and
// HTTP headers is read from the home's .env (the process environment wins,
// as everywhere in hermes), so tokens never sit in config.yaml.
//
// Start launches every enabled server in parallel and returns when all are
// up or its deadline passes; a server that fails is reported through
// Options.Notify and skipped. A server that crashes later is restarted with
// exponential backoff, and calls wait for it to come back within their own
// timeout. Servers' stderr goes, redacted, to logs/mcp-stderr.log.
//
// Every result passes the redactor. A server marked trust: ask sends each
// call through the session's approval rules first (see approve.go).
package mcp
