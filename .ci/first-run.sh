#!/usr/bin/env bash
# Proves the README's start command ("npm ci && npm start", read from the README itself) on a
# fresh copy of the checkout, as a person would run it:
#   1. as an ordinary (non-root) user, in that user's home;
#   2. as root, in a directory only root can enter (mktemp -d: mode 0700).
# Each run must answer /health and print where to go; it is then stopped as with Ctrl-C.
# Needs root (it creates the user). Leaves nothing behind but that user.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

start_command=$(awk '/^```sh$/ { inside = 1; next } inside { print; exit }' README.md)
if [[ "$start_command" != "npm ci && npm start" ]]; then
  echo "first-run: the README's first command is \"$start_command\", expected \"npm ci && npm start\"" >&2
  exit 1
fi
port=3000
user=engage-ci-user

# The checkout's files as they are in the working tree (tracked, and new ones git does not ignore),
# so without node_modules, builds or data.
copy_checkout() { git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null; }

health() { node -e "fetch('http://127.0.0.1:$port/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }

# run_as WHO DIR: runs the start command in DIR (as WHO: root or the user) until /health answers.
run_as() {
  local who=$1 dir=$2 log
  log=$(mktemp)
  echo "first-run: as $who in $dir: $start_command"
  if [[ $who == root ]]; then
    setsid bash -c "cd '$dir' && $start_command" >"$log" 2>&1 </dev/null &
  else
    chown "$who:" "$log"
    setsid su - "$who" -c "cd '$dir' && $start_command" >"$log" 2>&1 </dev/null &
  fi
  local pid=$! deadline=$((SECONDS + 900)) ok=0
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if health && grep -q 'Engage is running at' "$log"; then ok=1; break; fi
    sleep 2
  done
  # Stop it as Ctrl-C would, and wait until it is gone. su -c starts the command in a session of
  # its own, so the user's run is found by its user (one that exists for this script only).
  if [[ $who == root ]]; then
    kill -INT -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  else
    pkill -INT -u "$who" || true
    for _ in $(seq 1 60); do pgrep -u "$who" >/dev/null || break; sleep 1; done
    pkill -KILL -u "$who" || true
  fi
  wait "$pid" 2>/dev/null || true
  if ((ok)); then
    echo "first-run: as $who: /health answered"
    grep -E 'Engage is running at|Console:' "$log" | sed 's/^/  /'
  else
    echo "first-run: as $who: npm start did not answer /health; its output:" >&2
    tail -n 60 "$log" >&2
  fi
  rm -f "$log"
  ((ok))
}

# Whatever happens, no run is left behind (and no cluster of the root run under /var/lib/engage).
tmp=
cleanup() {
  pkill -KILL -u "$user" 2>/dev/null || true
  if [[ -n $tmp ]]; then
    local cluster
    cluster=$(readlink "$tmp/engage/.engage/postgres" 2>/dev/null || true)
    pkill -KILL -f "postgres -D $tmp/" 2>/dev/null || true
    [[ -n $cluster ]] && pkill -KILL -f "postgres -D $cluster" 2>/dev/null || true
    [[ $cluster == /var/lib/engage/cluster-* ]] && rm -rf "$cluster"
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# 1. An ordinary user, in their home.
id "$user" >/dev/null 2>&1 || useradd -m "$user"
home=$(getent passwd "$user" | cut -d: -f6)
rm -rf "$home/engage"
copy_checkout | su - "$user" -c "mkdir -p ~/engage && tar -xf - -C ~/engage"
run_as "$user" "$home/engage"
rm -rf "$home/engage"

# 2. Root, in a directory only root can enter.
tmp=$(mktemp -d)
[[ $(stat -c %a "$tmp") == 700 ]]
mkdir "$tmp/engage"
copy_checkout | tar -xf - -C "$tmp/engage"
run_as root "$tmp/engage"
# Its cluster lives where its own user can reach it; the cleanup removes it with the checkout.
if [[ $(readlink "$tmp/engage/.engage/postgres") != /var/lib/engage/cluster-* ]]; then
  echo "first-run: as root in a 0700 directory, the cluster should live under /var/lib/engage" >&2
  exit 1
fi
echo "first-run: passed"
