// Package ssh is the ssh terminal backend (terminal.backend: ssh): it runs
// each command on a remote host over one golang.org/x/crypto/ssh
// connection, a new session per command.
//
// What it guarantees:
//
//   - The host key is checked against known_hosts (terminal.ssh.
//     known_hosts_file, default ~/.ssh/known_hosts). An unknown or changed
//     key is refused with the ssh-keyscan line that adds it; there is no
//     switch that skips the check.
//   - Login uses terminal.ssh.key_file alone when it is set, else the keys
//     of ssh-agent (SSH_AUTH_SOCK) and then ~/.ssh/id_ed25519 and id_rsa if
//     they open without a passphrase.
//   - The environment a command sees is the parent's after
//     sandbox.FilterEnv (no provider keys, messaging tokens or passwords),
//     plus terminal.env_passthrough and the command's own Env, minus the
//     variables that describe this host (PATH, HOME, USER, SHELL, TMPDIR,
//     LOGNAME, ...), which come from the remote side. The values travel on
//     the session's stdin as export lines, never on a command line the
//     remote process list would show.
//   - Nothing is copied to the remote host: not the workspace, not the
//     hermes home. Commands start in terminal.ssh.remote_dir (default the
//     remote home), which must pass config.CheckWorkdir and is created if
//     missing. Options.Workspace, a host folder, is not used.
//   - A timeout or a cancelled context kills the command's remote process
//     group (`kill -s KILL -- -PGID`), because many sshd ignore the signal
//     request. Each command runs as a session leader (under `setsid -w`
//     when the remote has it, else as the leader OpenSSH makes of every
//     session) whose wrapper prints its pid first; the command itself is
//     sent only after that line has arrived. So a command is either
//     killable by its group or, killed earlier, never runs at all, however
//     long the remote login shell's rc files take.
//   - Spec.Timeout counts from the moment the command is sent, not from
//     the login; a login that has not started the command within 20 s is
//     an error that points at the rc files.
//   - Kills go through one session per connection that stays logged in
//     (it reads group ids on stdin), so a kill costs a round trip, not a
//     login; if it does not answer, a session of its own runs the kill.
//     That session counts against the server's MaxSessions.
//   - Keepalives (keepalive@openssh.com) notice a dead connection; the
//     next command dials again.
//
// The remote login shell must run `exec /bin/sh -c '...'` with a quoted
// newline inside, as sh, bash, zsh and fish do; csh and tcsh cannot.
package ssh
