# Sourced by bench/run and bench/list: what both do around their measurements. Outside the D-Bus
# session: build, find the binaries, install aws-sso-util, make the throwaway HOME and re-run the
# script inside a private D-Bus session. Inside it: start gnome-keyring and the emulator, and
# stop them again. Expects $root (the checkout) to be set.

AWS_SSO_UTIL_VERSION=4.33.0

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

# usage: the comment at the top of the script, for --help.
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# ------------------------------------------------------------------------------------------------
# Outside the D-Bus session.
# ------------------------------------------------------------------------------------------------

# need_tools HINT TOOL...: every TOOL is on the PATH, or the benchmark stops with HINT.
need_tools() {
    local hint=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool not found ($hint)"
    done
}

# build_release: ssokey and the emulator, release profile.
build_release() {
    say "cargo build --release -p ssokey -p sso-emulator --bin ssokey --bin sso-emulator"
    (cd "$root" && cargo build --release -p ssokey -p sso-emulator --bin ssokey --bin sso-emulator) ||
        die "the release build failed"
}

# find_binaries: sets $ssokey ($SSOKEY if set) and $emulator.
find_binaries() {
    ssokey=${SSOKEY:-$root/target/release/ssokey}
    emulator=$root/target/release/sso-emulator
    [[ -x $ssokey && -x $emulator ]] || die "no $ssokey or $emulator; run without --no-build"
}

# install_peer: aws-sso-util, pinned above, from PyPI into bench/.venv (which git ignores). Sets
# $peer to it, or empties it and says why in $peer_missing.
install_peer() {
    peer=
    peer_missing=
    if [[ -n ${NO_PEER:-} ]]; then
        peer_missing="skipped (NO_PEER is set)"
        return
    fi
    local venv=$root/bench/.venv
    peer=$venv/bin/aws-sso-util
    if ! [[ -x $peer ]] || [[ $("$peer" --version 2>/dev/null) != "$AWS_SSO_UTIL_VERSION" ]]; then
        say "installing aws-sso-util $AWS_SSO_UTIL_VERSION into bench/.venv"
        if ! { [[ -x $venv/bin/pip ]] || "${PYTHON:-python3}" -m venv "$venv"; } ||
            ! "$venv/bin/pip" install -q "aws-sso-util==$AWS_SSO_UTIL_VERSION" >&2; then
            peer=
            peer_missing="could not install aws-sso-util $AWS_SSO_UTIL_VERSION from PyPI (see above)"
        fi
    fi
}

# run_inner [NAME=VALUE]...: makes the throwaway HOME, runs this script again with --inner in a
# private D-Bus session there (with the NAME=VALUE pairs in its environment) and exits with its
# status. KEEP=1 keeps the throwaway directory.
run_inner() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/ssokey-bench.XXXXXX")
    if [[ -n ${KEEP:-} ]]; then
        trap 'say "kept $work"' EXIT
    else
        trap 'rm -rf "$work"' EXIT
    fi
    mkdir -p "$work/home/.aws" "$work/home/.config" "$work/home/.cache" "$work/home/.local/share" \
        "$work/home/.local/state" "$work/run" "$work/tmp" "$work/out"
    chmod 700 "$work/run"
    # Nothing of the caller's AWS setup may leak in (profiles, regions, endpoints, retry modes),
    # nor a choice of ssokey's tiers.
    while read -r name; do unset "$name"; done < <(compgen -e |
        grep -E '^(AWS_|SSOKEY_|DBUS_SESSION_BUS_ADDRESS$)' || true)
    local status=0
    env HOME="$work/home" \
        XDG_CONFIG_HOME="$work/home/.config" \
        XDG_CACHE_HOME="$work/home/.cache" \
        XDG_DATA_HOME="$work/home/.local/share" \
        XDG_STATE_HOME="$work/home/.local/state" \
        XDG_RUNTIME_DIR="$work/run" \
        TMPDIR="$work/tmp" \
        AWS_EC2_METADATA_DISABLED=true \
        BENCH_WORK="$work" BENCH_SSOKEY="$ssokey" BENCH_EMULATOR="$emulator" \
        BENCH_PEER="$peer" BENCH_PEER_MISSING="$peer_missing" "$@" \
        dbus-run-session -- bash "$0" --inner || status=$?
    exit "$status"
}

# ------------------------------------------------------------------------------------------------
# Inside the private D-Bus session.
# ------------------------------------------------------------------------------------------------

# inner_setup: $work, $ssokey, $emulator, $peer and $out from the outer run.
inner_setup() {
    work=$BENCH_WORK
    ssokey=$BENCH_SSOKEY
    emulator=$BENCH_EMULATOR
    peer=$BENCH_PEER
    out=$work/out
    url=
    emulator_pid=
    keyring_pids=()
}

# start_keyring: an unlocked gnome-keyring-daemon for this session; its pids in $keyring_pids.
start_keyring() {
    printf 'bench-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null ||
        die "gnome-keyring-daemon did not start"
    # It daemonizes; find it by the private runtime dir in its environment, to stop it by its pid.
    local pid
    for pid in $(pgrep -x gnome-keyring-d || true); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"; then
            keyring_pids+=("$pid")
        fi
    done
}

# start_emulator NAME [ARGS]...: a fresh emulator on a free port with ARGS, its output in
# $out/emulator-NAME.{out,err}; sets $url and $emulator_pid.
start_emulator() {
    local name=$1 _
    shift
    "$emulator" --port 0 "$@" >"$out/emulator-$name.out" 2>"$out/emulator-$name.err" &
    emulator_pid=$!
    url=
    for _ in $(seq 100); do
        url=$(sed -n 's/^export AWS_ENDPOINT_URL=//p' "$out/emulator-$name.out")
        [[ -n $url ]] && break
        kill -0 "$emulator_pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n $url ]] || die "the emulator did not start: $(cat "$out/emulator-$name.err")"
    curl -fsS "$url/_emulator/stats" >/dev/null || die "the emulator does not answer at $url"
}

# stop_processes: the emulator, if it runs, and gnome-keyring, for the EXIT trap.
stop_processes() {
    if [[ -n $emulator_pid ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill -TERM "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    # gnome-keyring-daemon also ends with the D-Bus session; this is in case it does not.
    local pid
    for pid in "${keyring_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
}

# with_ssokey_env CMD...: run CMD with ssokey's view of the world.
with_ssokey_env() {
    AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials \
        AWS_ENDPOINT_URL_SSO=$url AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_STS=$url "$@"
}
