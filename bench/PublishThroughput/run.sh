#!/usr/bin/env bash
# v2 publish throughput on the Redis engine: starts a local redis-server and the Release build of the
# server (every publish budget off), runs publish-throughput.cs against it, and stops both.
#   bash bench/PublishThroughput/run.sh [--connections N] [--window W] [--seconds S] [--size B]
# ENGINE=Memory runs the in-memory engine instead (no redis-server): the server's own part of a round trip.
# Build first: dotnet build src/Broadcast.Server -c Release
set -euo pipefail
cd "$(dirname "$0")/../.."
REDIS_PORT=${REDIS_PORT:-6391}
SERVER_PORT=${SERVER_PORT:-8100}
ENGINE=${ENGINE:-Redis}
REDIS=
ENGINE_ARGS=(--Broadcast:Engine=Memory)
if [ "$ENGINE" = Redis ]; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning &
  REDIS=$!
  ENGINE_ARGS=(--Broadcast:Engine=Redis --Broadcast:Redis:Configuration="127.0.0.1:$REDIS_PORT")
fi
dotnet src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll --urls "http://127.0.0.1:$SERVER_PORT" \
  "${ENGINE_ARGS[@]}" \
  --Broadcast:Limits:PublishRatePerSecond=0 --Broadcast:Auth:AnonymousPublish='*' --Broadcast:Auth:AnonymousSubscribe='*' \
  --Logging:LogLevel:Default=Warning >/tmp/publish-throughput-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER $REDIS 2>/dev/null; wait $SERVER $REDIS 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$SERVER_PORT/ready" >/dev/null && break
  sleep 0.2
done
dotnet run bench/PublishThroughput/publish-throughput.cs -- --url "ws://127.0.0.1:$SERVER_PORT/ws/events" "$@"
