#!/usr/bin/env bash
# testdeps.sh prepares the real external parts that hermes' tests use
# (bubblewrap, a Docker daemon, sshd, the MCP "everything" server, the
# dendrite Matrix homeserver built from tools/dendrite) and writes
# STATE/env, a file of `export KEY=VALUE` lines that `make test` sources
# before `go test`. internal/testenv reads those variables.
#
# Usage:
#   scripts/testdeps.sh STATE          prepare everything, write STATE/env
#   scripts/testdeps.sh --stop STATE   stop the dockerd this script started
#
# It is idempotent and quick when everything is already there. A part that
# cannot be had is reported ("testdeps: docker missing (why)") and left out
# of STATE/env; the run still succeeds, and the tests that need the part
# skip, or fail when HERMES_TEST_STRICT=1.
#
# Network: dockerd runs with --bridge=none --iptables=false --ip-masq=false,
# so it creates no docker0 bridge, no private (172.17.x) address and no NAT
# rules; the only networks are "host" and "none". Tests must run containers
# with --network none and must never `docker network create` (a user-defined
# bridge network would get a private subnet).
set -euo pipefail

readonly APT_PKGS=(bubblewrap docker.io openssh-server busybox-static ripgrep)
readonly NPM_PKG=@modelcontextprotocol/server-everything
readonly NPM_VERSION=2026.8.31
readonly IMAGE=hermes-test-busybox:latest
# Bump IMAGE_REV whenever build_image changes, so old images get rebuilt.
readonly IMAGE_REV=1
readonly DOCKER_WAIT=30

say() { printf 'testdeps: %s\n' "$*"; }
die() {
	say "$*" >&2
	exit 2
}
usage() {
	cat >&2 <<'EOF'
usage: scripts/testdeps.sh STATE
       scripts/testdeps.sh --stop STATE
EOF
	exit 2
}
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# sq quotes $1 for POSIX sh (the Makefile's shell sources the env file).
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# indent prints stdin as "testdeps:   line" lines.
indent() { sed 's/^/testdeps:   /'; }

CLEANUP=()
cleanup() {
	local p
	for p in "${CLEANUP[@]}"; do rm -rf -- "$p"; done
}
trap cleanup EXIT

# ---------------------------------------------------------------- packages

pkg_installed() {
	if have dpkg-query; then
		[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
	else
		case $1 in
		bubblewrap) have bwrap ;;
		docker.io) have dockerd ;;
		openssh-server) have sshd || [[ -x /usr/sbin/sshd ]] ;;
		busybox-static) have busybox ;;
		*) have "$1" ;;
		esac
	fi
}

# wait_apt waits (up to 10 min) while another apt or dpkg runs, so we queue
# behind a background install instead of fighting it for the lock.
wait_apt() {
	local i said=0
	for ((i = 0; i < 600; i++)); do
		pgrep -x 'apt|apt-get|aptitude|dpkg|unattended-upgr' >/dev/null 2>&1 || return 0
		if ((!said)); then
			say "waiting for another apt/dpkg run to finish"
			said=1
		fi
		sleep 1
	done
}

ensure_packages() {
	local missing=() p log
	for p in "${APT_PKGS[@]}"; do
		pkg_installed "$p" || missing+=("$p")
	done
	have npm || missing+=(npm)
	((${#missing[@]})) || return 0

	local why=
	if ! is_root; then
		why="not root"
	elif ! have apt-get; then
		why="apt-get not available"
	fi
	if [[ -n $why ]]; then
		for p in "${missing[@]}"; do say "cannot install $p: $why"; done
		return 0
	fi

	log=$STATE/apt.log
	say "installing ${missing[*]} with apt-get (log: $log)"
	export DEBIAN_FRONTEND=noninteractive
	local apt=(apt-get -qq -o DPkg::Lock::Timeout=600)
	wait_apt
	if ! "${apt[@]}" update >"$log" 2>&1; then
		sleep 5
		wait_apt
		if ! "${apt[@]}" update >>"$log" 2>&1; then
			for p in "${missing[@]}"; do say "cannot install $p: apt-get update failed (see $log)"; done
			return 0
		fi
	fi
	wait_apt
	if "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
		return 0
	fi
	# One at a time, to tell which package is the trouble.
	for p in "${missing[@]}"; do
		wait_apt
		"${apt[@]}" install -y --no-install-recommends "$p" >>"$log" 2>&1 ||
			say "cannot install $p: apt-get install failed (see $log)"
	done
}

# ------------------------------------------------------------------ docker

# docker_paths sets the daemon's paths for STATE. Unix socket paths are
# limited to 108 bytes and dockerd/containerd put sockets up to
# "exec/containerd/containerd.sock.ttrpc" deep under the run dir, so when
# STATE/docker is too long the socket and exec-root go to a private
# /tmp/hermes-docker-HASH instead.
docker_paths() {
	DOCKER_DIR=$STATE/docker
	RUN_DIR=$DOCKER_DIR
	if ((${#RUN_DIR} > 60)); then
		RUN_DIR=/tmp/hermes-docker-$(printf '%s' "$STATE" | sha256sum | cut -c1-12)
	fi
	SOCK=$RUN_DIR/docker.sock
	EXEC_ROOT=$RUN_DIR/exec
	DATA_ROOT=$DOCKER_DIR/root
	PIDFILE=$DOCKER_DIR/dockerd.pid
	LOG=$DOCKER_DIR/dockerd.log
	DOCKER_HOST_URL=unix://$SOCK
}

docker_ping() {
	[[ -S $SOCK ]] || return 1
	if have curl; then
		[[ $(curl -fsS --max-time 2 --unix-socket "$SOCK" http://docker/_ping 2>/dev/null) == OK ]]
	else
		timeout 5 docker -H "$DOCKER_HOST_URL" version >/dev/null 2>&1
	fi
}

docker_version() {
	if have curl; then
		curl -fsS --max-time 2 --unix-socket "$SOCK" http://docker/version 2>/dev/null |
			sed -n 's/^{.*"Version":"\([^"]*\)".*/\1/p'
	else
		timeout 5 docker -H "$DOCKER_HOST_URL" version -f '{{.Server.Version}}' 2>/dev/null
	fi
}

# proc_is reports whether process $1 is alive (not a zombie) and named $2.
proc_is() {
	local state
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] || return 1
	read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null || return 1
	[[ $state != Z ]]
}

# alive_pid prints the pid in file $1 if that process is alive and named $2.
alive_pid() {
	local pid
	[[ -r $1 ]] || return 1
	pid=$(<"$1")
	[[ $pid =~ ^[0-9]+$ ]] && proc_is "$pid" "$2" || return 1
	printf '%s\n' "$pid"
}

# private_run_dir makes sure the /tmp fallback is a real directory of ours.
private_run_dir() {
	[[ $RUN_DIR == "$DOCKER_DIR" ]] && return 0
	[[ -e $RUN_DIR || -L $RUN_DIR ]] || mkdir -m 0700 "$RUN_DIR"
	[[ -d $RUN_DIR && ! -L $RUN_DIR && -O $RUN_DIR ]] || {
		DOCKER_WHY="$RUN_DIR is not a private directory of ours"
		return 1
	}
}

DOCKER_OK=0
DOCKER_WHY=
DOCKER_NOTE=
ensure_docker() {
	docker_paths
	if docker_ping; then
		DOCKER_OK=1
		DOCKER_NOTE="already running"
		return 0
	fi
	if ! have dockerd; then
		DOCKER_WHY="dockerd not installed"
		return 0
	fi
	if ! is_root; then
		DOCKER_WHY="starting dockerd needs root"
		return 0
	fi
	mkdir -p "$DOCKER_DIR" "$DATA_ROOT"
	private_run_dir || return 0

	local pid
	if pid=$(alive_pid "$PIDFILE" dockerd); then
		DOCKER_NOTE="was starting (pid $pid)"
	else
		rm -f "$PIDFILE"
		[[ -f $LOG ]] && mv -f "$LOG" "$LOG.1"
		printf '{}\n' >"$DOCKER_DIR/daemon.json"
		# setsid: the daemon outlives this script and make's process group.
		setsid dockerd \
			--config-file "$DOCKER_DIR/daemon.json" \
			--data-root "$DATA_ROOT" \
			--exec-root "$EXEC_ROOT" \
			--pidfile "$PIDFILE" \
			-H "$DOCKER_HOST_URL" \
			--bridge=none \
			--iptables=false \
			--ip-masq=false \
			--log-level=warn \
			>>"$LOG" 2>&1 </dev/null &
		pid=$!
		DOCKER_NOTE="started (pid $pid)"
	fi

	# Wait for the daemon; give up early only when the process is gone.
	# (Checking its name here would race with setsid's exec of dockerd.)
	local i
	for ((i = 0; i < DOCKER_WAIT * 5; i++)); do
		if docker_ping; then
			DOCKER_OK=1
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if proc_is "$pid" dockerd; then
		DOCKER_WHY="dockerd did not answer on $SOCK within ${DOCKER_WAIT}s; log $LOG"
	else
		DOCKER_WHY="dockerd exited; log $LOG"
	fi
	DOCKER_NOTE=
	say "dockerd log (last lines):"
	tail -n 15 "$LOG" 2>/dev/null | indent || true
}

stop_docker() {
	docker_paths
	local pid i
	if ! pid=$(alive_pid "$PIDFILE" dockerd); then
		say "docker not running (no live dockerd in $PIDFILE)"
		return 0
	fi
	kill -TERM "$pid"
	for ((i = 0; i < 150; i++)); do
		if ! proc_is "$pid" dockerd; then
			say "docker stopped (pid $pid)"
			return 0
		fi
		sleep 0.2
	done
	say "docker still running after 30s (pid $pid)"
	return 1
}

# ------------------------------------------------------------------- image

IMAGE_OK=0
IMAGE_WHY=
IMAGE_NOTE=
ensure_image() {
	if ((!DOCKER_OK)); then
		IMAGE_WHY="no Docker daemon"
		return 0
	fi
	if ! have docker; then
		IMAGE_WHY="docker CLI not installed"
		return 0
	fi
	local d=(docker -H "$DOCKER_HOST_URL") rev
	rev=$("${d[@]}" image inspect -f '{{index .Config.Labels "hermes.testimage.rev"}}' "$IMAGE" 2>/dev/null) || rev=
	if [[ $rev == "$IMAGE_REV" ]]; then
		IMAGE_OK=1
		return 0
	fi

	local bb
	bb=$(command -v busybox 2>/dev/null) || bb=
	if [[ -z $bb ]]; then
		IMAGE_WHY="busybox (busybox-static) not installed"
		return 0
	fi
	local stage
	stage=$(mktemp -d "$STATE/image.XXXXXX")
	CLEANUP+=("$stage")
	local root=$stage/root
	mkdir -p "$root"/{bin,etc,root,home,dev,proc,sys,usr,var,tmp}
	chmod 1777 "$root/tmp"
	cp "$bb" "$root/bin/busybox"
	local a
	for a in $("$bb" --list); do
		[[ $a == busybox ]] || ln -s busybox "$root/bin/$a"
	done
	ln -s bin "$root/sbin"
	ln -s ../bin "$root/usr/bin"
	ln -s ../bin "$root/usr/sbin"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"

	if ! tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
		"${d[@]}" import \
			--change 'ENV PATH=/bin:/usr/bin:/sbin:/usr/sbin' \
			--change 'CMD ["/bin/sh"]' \
			--change "LABEL hermes.testimage.rev=$IMAGE_REV" \
			- "$IMAGE" >"$stage/import.log" 2>&1; then
		IMAGE_WHY="docker import failed: $(tail -n 1 "$stage/import.log")"
		return 0
	fi
	local out
	out=$(timeout 60 "${d[@]}" run --rm --network none "$IMAGE" echo hi 2>&1) || true
	if [[ $out != hi ]]; then
		"${d[@]}" image rm -f "$IMAGE" >/dev/null 2>&1 || true
		IMAGE_WHY="built image does not run (is $bb static?): $out"
		return 0
	fi
	IMAGE_OK=1
	IMAGE_NOTE="built"
}

# -------------------------------------------------------------- the others

BWRAP=
BWRAP_WHY=
check_bwrap() {
	local p out
	if ! p=$(command -v bwrap 2>/dev/null); then
		BWRAP_WHY="bwrap not installed"
		return 0
	fi
	if out=$("$p" --ro-bind / / --unshare-all true 2>&1); then
		BWRAP=$p
	else
		BWRAP_WHY="bwrap --ro-bind / / --unshare-all true failed: $out"
	fi
}

SSHD=
SSHD_WHY=
check_sshd() {
	local p
	if [[ -x /usr/sbin/sshd ]]; then
		p=/usr/sbin/sshd
	elif ! p=$(command -v sshd 2>/dev/null); then
		SSHD_WHY="sshd not installed"
		return 0
	fi
	# As root, sshd refuses to start without its privilege separation dir,
	# which only the (not running) service would create.
	if is_root && [[ ! -d /run/sshd ]]; then
		mkdir -m 0755 /run/sshd 2>/dev/null || true
	fi
	SSHD=$p
}

NODE=
NODE_WHY=
NODE_NOTE=
check_node() {
	local p v
	if ! p=$(command -v node 2>/dev/null); then
		NODE_WHY="node not installed"
		return 0
	fi
	if v=$("$p" --version 2>&1); then
		NODE=$p
		NODE_NOTE=$v
	else
		NODE_WHY="node --version failed: $v"
	fi
}

# mcp_version prints the version of the npm package in dir $1, if complete.
mcp_version() {
	[[ -f $1/package.json && -f $1/dist/index.js ]] || return 0
	"$NODE" -p 'require(process.argv[1]).version' "$1/package.json" 2>/dev/null || true
}

MCP=
MCP_WHY=
MCP_NOTE=
ensure_mcp() {
	local dir=$STATE/npm
	local pkg=$dir/node_modules/$NPM_PKG
	local script=$pkg/dist/index.js
	if [[ -z $NODE ]]; then
		MCP_WHY="no node ($NODE_WHY)"
		return 0
	fi
	if [[ $(mcp_version "$pkg") != "$NPM_VERSION" ]]; then
		if ! have npm; then
			MCP_WHY="npm not installed"
			return 0
		fi
		local log=$STATE/npm.log
		mkdir -p "$dir"
		if ! npm install --prefix "$dir" --no-audit --no-fund "$NPM_PKG@$NPM_VERSION" >"$log" 2>&1; then
			MCP_WHY="npm install $NPM_PKG@$NPM_VERSION failed; log $log"
			tail -n 5 "$log" | indent || true
			return 0
		fi
		if [[ $(mcp_version "$pkg") != "$NPM_VERSION" ]]; then
			MCP_WHY="npm install did not leave $script at $NPM_VERSION"
			return 0
		fi
		MCP_NOTE="installed "
	fi
	MCP=$script
	MCP_NOTE+=$NPM_VERSION
}

# ---------------------------------------------------------------- dendrite

# ensure_dendrite builds the Matrix homeserver the Matrix adapter's tests
# start, once, into STATE/bin/dendrite, from tools/dendrite (a module that
# requires github.com/element-hq/dendrite at a pinned version: a plain
# `go install ...@version` fails against the partial module proxy). It is
# rebuilt only when tools/dendrite/go.mod or go.sum change. The first build
# takes a few minutes on two cores.
DENDRITE=
DENDRITE_WHY=
DENDRITE_NOTE=
ensure_dendrite() {
	local src bin stamp want have_stamp log
	src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../tools/dendrite" 2>/dev/null && pwd -P) || src=
	if [[ -z $src || ! -f $src/go.mod ]]; then
		DENDRITE_WHY="tools/dendrite/go.mod not found"
		return 0
	fi
	if ! have go; then
		DENDRITE_WHY="go not installed"
		return 0
	fi
	bin=$STATE/bin/dendrite
	stamp=$STATE/bin/dendrite.stamp
	want=$(cat "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)
	have_stamp=$(cat "$stamp" 2>/dev/null || true)
	if [[ -x $bin && $have_stamp == "$want" ]] && "$bin" --version >/dev/null 2>&1; then
		DENDRITE=$bin
		DENDRITE_NOTE=$("$bin" --version 2>/dev/null)
		return 0
	fi
	mkdir -p "$STATE/bin"
	log=$STATE/dendrite-build.log
	say "building dendrite from tools/dendrite (a few minutes the first time; log: $log)"
	if ! (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$bin.tmp" github.com/element-hq/dendrite/cmd/dendrite) >"$log" 2>&1; then
		rm -f "$bin.tmp"
		DENDRITE_WHY="go build of dendrite failed; log $log"
		tail -n 5 "$log" | indent || true
		return 0
	fi
	mv -f "$bin.tmp" "$bin"
	printf '%s\n' "$want" >"$stamp"
	DENDRITE=$bin
	DENDRITE_NOTE="built $("$bin" --version 2>/dev/null)"
}

# --------------------------------------------------------------------- env

write_env() {
	local env=$STATE/env tmp
	tmp=$(mktemp "$STATE/env.XXXXXX")
	CLEANUP+=("$tmp")
	{
		echo "# Written by scripts/testdeps.sh; sourced by make test before go test."
		echo "# Only the parts that work on this machine are set."
		[[ -z $BWRAP ]] || echo "export HERMES_TEST_BWRAP=$(sq "$BWRAP")"
		((!DOCKER_OK)) || echo "export HERMES_TEST_DOCKER_HOST=$(sq "$DOCKER_HOST_URL")"
		((!IMAGE_OK)) || echo "export HERMES_TEST_DOCKER_IMAGE=$(sq "$IMAGE")"
		[[ -z $SSHD ]] || echo "export HERMES_TEST_SSHD=$(sq "$SSHD")"
		[[ -z $MCP ]] || echo "export HERMES_TEST_MCP_EVERYTHING=$(sq "$MCP")"
		[[ -z $NODE ]] || echo "export HERMES_TEST_NODE=$(sq "$NODE")"
		[[ -z $DENDRITE ]] || echo "export HERMES_TEST_DENDRITE=$(sq "$DENDRITE")"
	} >"$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$env"
}

# report prints "testdeps: PART ok WHAT" or "testdeps: PART missing (WHY)".
report() {
	local part=$1 ok=$2 what=$3 why=$4
	if [[ -n $ok ]]; then
		say "$part ok $what"
	else
		say "$part missing ($why)"
	fi
}

# -------------------------------------------------------------------- main

state_dir() {
	[[ -n $1 ]] || usage
	mkdir -p -- "$1"
	(cd -- "$1" && pwd -P)
}

main() {
	case ${1:-} in
	--stop)
		[[ $# -eq 2 ]] || usage
		[[ -d $2 ]] || {
			say "docker not running (no state dir $2)"
			return 0
		}
		STATE=$(state_dir "$2")
		stop_docker
		return
		;;
	-h | --help | '') usage ;;
	-*) usage ;;
	esac
	[[ $# -eq 1 ]] || usage
	STATE=$(state_dir "$1") || die "cannot make state dir $1"

	ensure_packages
	check_bwrap
	check_sshd
	check_node
	ensure_mcp
	ensure_docker
	ensure_image
	ensure_dendrite
	write_env

	local dv=
	((!DOCKER_OK)) || dv="$DOCKER_HOST_URL (dockerd $(docker_version)${DOCKER_NOTE:+, $DOCKER_NOTE})"
	report bwrap "$BWRAP" "$BWRAP" "$BWRAP_WHY"
	report docker "$dv" "$dv" "$DOCKER_WHY"
	report docker-image "$([[ $IMAGE_OK == 1 ]] && echo y)" "$IMAGE${IMAGE_NOTE:+ ($IMAGE_NOTE)}" "$IMAGE_WHY"
	report sshd "$SSHD" "$SSHD" "$SSHD_WHY"
	report node "$NODE" "$NODE ($NODE_NOTE)" "$NODE_WHY"
	report mcp-everything "$MCP" "$MCP ($MCP_NOTE)" "$MCP_WHY"
	report dendrite "$DENDRITE" "$DENDRITE ($DENDRITE_NOTE)" "$DENDRITE_WHY"
	say "env written to $STATE/env"
}

main "$@"
