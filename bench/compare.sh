#!/usr/bin/env bash
# Publishes the broadcast server and the .NET baselines (naive ASP.NET Core, SignalR) ReadyToRun, installs the uWebSockets
# baseline, builds the load tool in Release,
# runs every scenario against each server with the server pinned to core 0 and the load to core 1, and
# writes docs/benchmarks.md (tables, machine, commands) and docs/benchmarks/*.svg (charts).
#
#   bench/compare.sh            full run (~20 minutes)
#   bench/compare.sh --quick    short runs of the main scenarios (~4 minutes)
#   bench/compare.sh --servers "broadcast signalr"   a subset of the servers (names: broadcast broadcast-redis
#                                                    broadcast-v2 naive signalr uws)
#   bench/compare.sh --report-only DIR               regenerate the report from an earlier run's results
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=full
SERVERS="broadcast broadcast-redis naive signalr uws"
REPORT_ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) MODE=quick ;;
    --servers) SERVERS="$2"; shift ;;
    --report-only) REPORT_ONLY="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

SERVER_CORE=${SERVER_CORE:-0}
LOAD_CORES=${LOAD_CORES:-1}
OUT=${OUT:-$ROOT/artifacts/bench/$(date -u +%Y%m%dT%H%M%SZ)-$MODE}
BENCH="$ROOT/src/Broadcast.Bench/bin/Release/net10.0/Broadcast.Bench.dll"

if [[ -n "$REPORT_ONLY" ]]; then
  node "$ROOT/bench/report.mjs" "$REPORT_ONLY" "$ROOT/docs"
  exit 0
fi

mkdir -p "$OUT"
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }

# Every .NET server is published the same way, ReadyToRun (precompiled) for linux-x64 as the Broadcast server's
# deployments are (deploy/Dockerfile): each scenario starts a fresh process, and a plain build's JIT work during the
# first seconds (a storm of 5,000 lasts about half a second) would count against whichever server compiles more.
PUBLISHED=${PUBLISHED:-$ROOT/artifacts/bench-servers}
publish() {
  dotnet publish "$1" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$PUBLISHED/$2" "${@:3}" -v q -nologo >/dev/null
}
log "publishing the .NET servers (Release, ReadyToRun) into $PUBLISHED"
publish "$ROOT/src/Broadcast.Server" broadcast -p:SkipWebApp=true
publish "$ROOT/bench/NaiveServer" naive
publish "$ROOT/bench/SignalRServer" signalr
dotnet build "$ROOT/src/Broadcast.Bench" -c Release -v q -nologo >/dev/null
UWS_DIR="$ROOT/bench/UwsServer"
if [[ " $SERVERS " == *" uws "* ]]; then
  # The exact versions of package-lock.json; --prefer-offline takes them from npm's cache once fetched.
  log "installing the uWebSockets baseline (npm ci)"
  (cd "$UWS_DIR" && npm ci --prefer-offline --no-audit --no-fund >/dev/null)
fi

# The machine, for the report.
cat > "$OUT/machine.json" <<JSON
{
  "mode": "$MODE",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "nproc": $(nproc),
  "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
  "memory": "$(free -g | awk '/Mem:/ {print $2}') GiB",
  "kernel": "$(uname -sr)",
  "os": "$(. /etc/os-release && echo "$PRETTY_NAME")",
  "dotnet": "$(dotnet --version)",
  "runtime": "$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')",
  "node": "$(node --version 2>/dev/null || echo none)",
  "uws": "$(node -p "require('$UWS_DIR/node_modules/uwebsockets/package.json').version" 2>/dev/null || echo none)",
  "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "serverCore": "$SERVER_CORE",
  "loadCores": "$LOAD_CORES"
}
JSON

SERVER_PID=""
REDIS_PID=""
REDIS_PORT=16399
start_redis() {
  command -v redis-server >/dev/null || { log "redis-server is not installed (apt-get install redis-server)"; return 1; }
  taskset -c "$SERVER_CORE" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >>"$OUT/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
}

start_server() {
  local name=$1
  local -a cmd
  case "$name" in
    broadcast)
      PORT=18080; URL="ws://127.0.0.1:$PORT/ws/events"; PROTO=legacy
      # A deep queue (frames and bytes) so that overload shows as latency, as with the baselines, rather than as 1008 closes,
      # and no per-connection publish limit (one publisher sends thousands of messages a second).
      cmd=(env Broadcast__OutboundQueueCapacity=100000 Broadcast__OutboundQueueBytes=1073741824 Broadcast__Limits__PublishRatePerSecond=0 Logging__LogLevel__Default=Warning
           dotnet "$PUBLISHED/broadcast/Broadcast.Server.dll" --urls "http://127.0.0.1:$PORT") ;;
    broadcast-v2)
      PORT=18083; URL="ws://127.0.0.1:$PORT/ws/events"; PROTO=v2
      # The v2 bench uses its own channel ("bench"); anonymous clients get only "events" by default.
      cmd=(env Broadcast__OutboundQueueCapacity=100000 Broadcast__OutboundQueueBytes=1073741824 Broadcast__Limits__PublishRatePerSecond=0 Logging__LogLevel__Default=Warning
           Broadcast__Auth__AnonymousSubscribe='*' Broadcast__Auth__AnonymousPublish='*'
           dotnet "$PUBLISHED/broadcast/Broadcast.Server.dll" --urls "http://127.0.0.1:$PORT") ;;
    broadcast-redis)
      # The same server on the Redis engine: every publication goes through a Lua script and Redis
      # pub/sub before fan-out. redis-server shares the server's core, so the node's CPU figure
      # (the .NET process only) leaves out Redis's own work; its CPU is logged apart.
      PORT=18084; URL="ws://127.0.0.1:$PORT/ws/events"; PROTO=legacy
      start_redis
      cmd=(env Broadcast__OutboundQueueCapacity=100000 Broadcast__OutboundQueueBytes=1073741824 Broadcast__Limits__PublishRatePerSecond=0 Logging__LogLevel__Default=Warning
           Broadcast__Engine=Redis Broadcast__Redis__Configuration="127.0.0.1:$REDIS_PORT"
           dotnet "$PUBLISHED/broadcast/Broadcast.Server.dll" --urls "http://127.0.0.1:$PORT") ;;
    naive)
      PORT=18081; URL="ws://127.0.0.1:$PORT/ws/events"; PROTO=legacy
      cmd=(env Logging__LogLevel__Default=Warning ASPNETCORE_URLS="http://127.0.0.1:$PORT"
           dotnet "$PUBLISHED/naive/NaiveServer.dll") ;;
    signalr)
      PORT=18082; URL="ws://127.0.0.1:$PORT/hub"; PROTO=signalr
      cmd=(env Logging__LogLevel__Default=Warning ASPNETCORE_URLS="http://127.0.0.1:$PORT"
           dotnet "$PUBLISHED/signalr/SignalRServer.dll") ;;
    uws)
      # uWebSockets (npm package uwebsockets, the uWebSockets.js C++ core as a Node addon): one thread, as uWS is;
      # it binds 127.0.0.1 only. node is started directly (taskset execs it), so SERVER_PID is the server itself.
      PORT=18085; URL="ws://127.0.0.1:$PORT/ws/events"; PROTO=legacy
      cmd=(node "$UWS_DIR/server.mjs" --port "$PORT") ;;
    *) log "unknown server: $name"; return 1 ;;
  esac
  echo "taskset -c $SERVER_CORE ${cmd[*]}" >> "$OUT/commands.txt"
  taskset -c "$SERVER_CORE" "${cmd[@]}" >>"$OUT/$name.server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    sleep 0.1
  done
  log "$name did not start"; return 1
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [[ -n "$REDIS_PID" ]]; then
    # Redis's own CPU (utime+stime ticks), so the report can show what the node's figure leaves out.
    awk '{print $14+$15}' "/proc/$REDIS_PID/stat" >> "$OUT/redis-cpu-ticks.txt" 2>/dev/null || true
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
  fi
}
trap stop_server EXIT

# run NAME SERVER ARGS...: a fresh server for every scenario, so one run's memory and backlog never
# colour the next.
run() {
  local id=$1 server=$2; shift 2
  start_server "$server"
  local -a cmd=(taskset -c "$LOAD_CORES" dotnet "$BENCH" "$@" --url "$URL" --protocol "$PROTO"
                --server-pid "$SERVER_PID" --label "$server/$id" --out "$OUT/$server--$id.json" --no-live)
  echo "${cmd[*]}" | sed "s/--server-pid [0-9]*/--server-pid \$PID/" >> "$OUT/commands.txt"
  log "$server: $id"
  if ! timeout 300 "${cmd[@]}" >>"$OUT/$server--$id.log" 2>&1; then
    log "$server: $id failed (see $OUT/$server--$id.log)"
  fi
  stop_server
}

if [[ $MODE == quick ]]; then
  T=(--warmup 1 --duration 3 --drain 5)
  SCALE_T=(--warmup 1 --duration 2 --drain 5)
  IDLE=5000
else
  T=(--warmup 2 --duration 8 --drain 10)
  SCALE_T=(--warmup 2 --duration 5 --drain 10)
  IDLE=15000
fi

for s in $SERVERS; do
  run fanout-500x2000 "$s" fanout --subscribers 500 --rate 2000 "${T[@]}"
  # Overload: no warm-up (its backlog alone would outlast the window), every message counts.
  run overload-1000x5000 "$s" fanout --subscribers 1000 --rate 5000 --warmup 0 --duration 2 --drain 10
  run chat-200x5 "$s" chat --clients 200 --rate 5 "${T[@]}"
  # Idle connections from several source addresses and two load processes (each holds at most 20,000 files).
  run idle-$IDLE "$s" idle --connections $IDLE --processes 2 --sources 127.0.0.2-127.0.0.9 --duration 3
  run storm-5000 "$s" storm --connections 5000 --processes 2 --sources 127.0.0.2-127.0.0.9
  # How cost grows with subscribers, at a constant 200,000 deliveries/s offered.
  run subs-100 "$s" fanout --subscribers 100 --rate 2000 "${SCALE_T[@]}"
  run subs-1000 "$s" fanout --subscribers 1000 --rate 200 "${SCALE_T[@]}"
  run subs-10000 "$s" fanout --subscribers 10000 --rate 20 --processes 2 --sources 127.0.0.2-127.0.0.9 "${SCALE_T[@]}"
  if [[ $MODE == full ]]; then
    # How cost grows with message size, at 100 subscribers x 1,000 msg/s.
    for size in 100 1024 16384; do
      run size-$size "$s" fanout --subscribers 100 --rate 1000 --size $size "${SCALE_T[@]}"
    done
    # Highest sustained rate at 1,000 subscribers: each step is kept if everything arrived with p99 <= 100 ms.
    for rate in 100 200 400 700 1000 1500 2000; do
      run max-1000x$rate "$s" fanout --subscribers 1000 --rate $rate "${SCALE_T[@]}"
    done
  fi
done

log "writing docs/benchmarks.md"
node "$ROOT/bench/report.mjs" "$OUT" "$ROOT/docs"
log "done: $OUT"
