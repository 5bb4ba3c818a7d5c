// Package docker is the docker terminal backend: it runs every command of a
// session inside one hardened container on a Docker daemon reached through
// the Engine API (github.com/moby/moby/client; never the docker CLI).
//
// The package owns that container's life: the hardening of security layer
// 3 (all capabilities dropped but a short list, no-new-privileges, tmpfs
// scratch space, pids, CPU and memory limits, no network unless
// terminal.docker.network), the workspace bind mount at /workspace and the
// checks on extra volumes (never the hermes home or anything holding its
// .env or auth.json), reuse of a persistent container by label, removal of
// a throwaway one on Close, and Reap for the ones a crashed session left.
//
// Commands run as execs in that container. Each exec is the leader of its
// own process group and records its pid in /run, so a timeout, a cancel or
// Kill ends the whole tree with one `kill -s KILL -PGID` exec. Variables
// reach an exec in the API request, never in the command text.
package docker
