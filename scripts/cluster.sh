#!/usr/bin/env bash
# Runs a local cluster in one command: a Redis server and three nodes of the broadcast server on
# http://localhost:8001, :8002 and :8003, all sharing channels, history and presence through Redis.
# Ctrl+C stops everything. Needs redis-server (apt-get install redis-server).
#   REDIS_PORT=6380 ./scripts/cluster.sh     # another Redis port
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_PORT=${REDIS_PORT:-6379}
LOGS=$(mktemp -d /tmp/broadcast-cluster.XXXXXX)
pids=()

stop_all() {
  echo
  echo "Stopping the cluster..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Logs are in $LOGS"
}
trap stop_all EXIT INT TERM

command -v redis-server >/dev/null || { echo "redis-server is not installed: apt-get install redis-server"; exit 1; }

echo "Building the server (Release, with the web app)..."
dotnet build src/Broadcast.Server -c Release -v quiet -nologo || { echo "The build failed."; exit 1; }
SERVER_DLL=src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll

if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "Using the Redis already running on port $REDIS_PORT"
else
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$LOGS/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "Started Redis on port $REDIS_PORT"
fi

# A local playground: anonymous clients may use every channel (the default is only "events"), so the web
# app's other channels work as with "dotnet run" (docs/security.md, "Anonymous access").
for port in 8001 8002 8003; do
  Broadcast__Engine=Redis \
  Broadcast__Redis__Configuration="127.0.0.1:$REDIS_PORT" \
  Broadcast__Auth__AnonymousSubscribe='*' \
  Broadcast__Auth__AnonymousPublish='*' \
    dotnet "$SERVER_DLL" --urls "http://localhost:$port" >"$LOGS/node-$port.log" 2>&1 &
  pids+=($!)
done

for port in 8001 8002 8003; do
  for _ in $(seq 1 100); do
    curl -fs "http://localhost:$port/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
  if curl -fs "http://localhost:$port/ready" >/dev/null 2>&1; then
    echo "Node ready: http://localhost:$port"
  else
    echo "Node on port $port did not become ready; see $LOGS/node-$port.log"
  fi
done

echo "Open the nodes in different tabs and chat across them. Ctrl+C to stop."
wait
