#!/usr/bin/env bash
# Checks what can be checked of deploy/ on a machine without Docker or a running systemd:
#   1. dotnet publish makes a self-contained linux-x64 build (with the web app when web/dist exists);
#   2. that build runs without a .NET install: --help, then a real start, /health, /ready, /metrics, SIGTERM → exit 0;
#   3. the systemd unit's syntax, with systemd-analyze verify (skipped when systemd-analyze is missing).
# The Dockerfile needs a Docker engine to build; CI has none.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "--- self-contained publish"
dotnet publish src/Broadcast.Server -c Release -r linux-x64 --self-contained -o "$work/app" -nologo -v:q
test -x "$work/app/Broadcast.Server"
if [ -f web/dist/index.html ]; then test -f "$work/app/webapp/index.html"; fi
# Development settings open every channel to anonymous clients: they must never ship.
test ! -e "$work/app/appsettings.Development.json"

echo "--- the published binary"
# Without DOTNET_ROOT: the build must carry its own runtime.
env -u DOTNET_ROOT "$work/app/Broadcast.Server" --help > "$work/help"
grep -q "Broadcast:MaxMessageBytes" "$work/help"
# Port 0: the OS picks a free port; the server logs which one.
env -u DOTNET_ROOT "$work/app/Broadcast.Server" --urls "http://127.0.0.1:0" > "$work/server.log" 2>&1 &
server_pid=$!
base=
for _ in $(seq 1 150); do
  base=$(sed -n 's|.*Now listening on: \(http://[^ ]*\).*|\1|p' "$work/server.log" | head -1)
  [ -n "$base" ] && break
  sleep 0.2
done
[ -n "$base" ] || { echo "the published server did not start"; cat "$work/server.log"; exit 1; }
# Saved to files first: grep -q would close the pipe early and fail curl under pipefail.
curl -fsS -o "$work/health" "$base/health" && grep -q '"healthy"' "$work/health"
curl -fsS -o "$work/ready" "$base/ready" && grep -q '"ready"' "$work/ready"
curl -fsS -o "$work/metrics" "$base/metrics" && grep -q '^broadcast_server_' "$work/metrics"
kill -TERM "$server_pid"
wait "$server_pid" || { echo "the server did not exit 0 on SIGTERM"; cat "$work/server.log"; exit 1; }
server_pid=

echo "--- systemd unit"
if command -v systemd-analyze > /dev/null; then
  # verify checks that ExecStart exists: point the unit at the build just made.
  sed "s|/opt/broadcast-server|$work/app|g" deploy/broadcast-server.service > "$work/broadcast-server.service"
  # verify exits 0 on unknown keys and unparsable values (it only warns): any output is a failure here.
  systemd-analyze verify "$work/broadcast-server.service" > "$work/verify.log" 2>&1 || true
  if [ -s "$work/verify.log" ]; then cat "$work/verify.log"; exit 1; fi
else
  echo "systemd-analyze not installed: unit file not verified"
fi
echo "deploy checks passed"
