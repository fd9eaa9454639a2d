#!/usr/bin/env bash
# Issue #15's benchmark: fan-out to subscribers over WebSocket, HTTP streaming and SSE in the same run
# (500 subscribers, 2,000 msg/s, the extended protocol; the publisher is a WebSocket), then the memory of
# idle connections of each transport. The server runs on core 0, the load tool on core 1, a fresh server
# per transport. Writes artifacts/bench/<time>-streaming/ (one JSON per run, summary.txt).
#
#   bench/streaming.sh                      # defaults below
#   SUBSCRIBERS=200 RATE=1000 DURATION=5 IDLE=1000 bench/streaming.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SUBSCRIBERS=${SUBSCRIBERS:-500}
RATE=${RATE:-2000}
DURATION=${DURATION:-8}
IDLE=${IDLE:-2000}
PORT=${PORT:-18095}
SERVER=src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll
BENCH=src/Broadcast.Bench/bin/Release/net10.0/Broadcast.Bench.dll
OUT=artifacts/bench/$(date -u +%Y%m%dT%H%M%SZ)-streaming
mkdir -p "$OUT"
[ -f "$SERVER" ] && [ -f "$BENCH" ] || { echo "build first: dotnet build Broadcast.slnx -c Release"; exit 1; }

run() { # label, bench arguments...
  local label=$1; shift
  taskset -c 0 env Broadcast__OutboundQueueCapacity=100000 Broadcast__Limits__PublishRatePerSecond=0 \
    Broadcast__Limits__RequestRatePerSecond=0 Broadcast__Auth__AnonymousSubscribe='*' Broadcast__Auth__AnonymousPublish='*' \
    Logging__LogLevel__Default=Warning \
    dotnet "$SERVER" --urls "http://127.0.0.1:$PORT" >>"$OUT/$label.server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
  taskset -c 1 dotnet "$BENCH" "$@" --url "ws://127.0.0.1:$PORT/ws/events" --protocol v2 --server-pid "$pid" \
    --label "$label" --out "$OUT/$label.json" --no-live | tee -a "$OUT/summary.txt"
  kill -TERM "$pid"; wait "$pid" || true
}

for transport in websocket http-stream sse; do
  run "fanout-$transport" fanout --transport "$transport" --subscribers "$SUBSCRIBERS" --rate "$RATE" --warmup 2 --duration "$DURATION" --drain 10
done
for transport in websocket http-stream sse; do
  run "idle-$transport" idle --transport "$transport" --connections "$IDLE" --duration 3
done
echo "results: $OUT"
