#!/usr/bin/env bash
# The deploy/ topology on one machine, loopback only: redis-server, three nodes (Production, Redis engine,
# nginx as their known proxy) and Debian's nginx in front with deploy/nginx/nginx.conf. Ctrl+C stops all.
#   deploy/topology.sh                       # builds the server, nginx on http://127.0.0.1:8080
#   SERVER=out/Broadcast.Server deploy/topology.sh   # a published build (dotnet publish ... -o out)
#   PORT=9090 NODE_PORTS="9001 9002 9003" REDIS_PORT=6390 deploy/topology.sh
# Needs redis-server and nginx (apt-get install redis-server nginx). LISTEN=0.0.0.0 lets other machines in.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}
LISTEN=${LISTEN:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6380}
read -r -a NODE_PORTS <<< "${NODE_PORTS:-8001 8002 8003}"
WORK=$(mktemp -d /tmp/broadcast-topology.XXXXXX)
pids=()

stop_all() {
  trap - EXIT INT TERM
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Logs are in $WORK"
}
trap stop_all EXIT INT TERM

for tool in redis-server nginx curl; do
  command -v "$tool" > /dev/null || { echo "$tool is not installed: apt-get install redis-server nginx curl"; exit 1; }
done

if [ -z "${SERVER:-}" ]; then
  echo "Building the server (Release, with the web app)..."
  dotnet build src/Broadcast.Server -c Release -v quiet -nologo
  SERVER_CMD=(dotnet src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll)
elif [[ "$SERVER" == *.dll ]]; then
  SERVER_CMD=(dotnet "$SERVER")
else
  SERVER_CMD=("$SERVER")
fi

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no > "$WORK/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping > /dev/null 2>&1 && break; sleep 0.1; done

for port in "${NODE_PORTS[@]}"; do
  ASPNETCORE_ENVIRONMENT=Production \
  Broadcast__Engine=Redis \
  Broadcast__Redis__Configuration="127.0.0.1:$REDIS_PORT" \
  Broadcast__ForwardedHeaders__KnownProxies__0=127.0.0.1 \
    "${SERVER_CMD[@]}" --urls "http://127.0.0.1:$port" > "$WORK/node-$port.log" 2>&1 &
  pids+=($!)
done

# The same nginx.conf as the compose file's, with the nodes' and nginx's addresses made local.
sed -e "s|server node1:8000|server 127.0.0.1:${NODE_PORTS[0]}|" \
    -e "s|server node2:8000|server 127.0.0.1:${NODE_PORTS[1]}|" \
    -e "s|server node3:8000|server 127.0.0.1:${NODE_PORTS[2]}|" \
    -e "s|listen 8080;|listen $LISTEN:$PORT;|" \
    deploy/nginx/nginx.conf > "$WORK/nginx.conf"

for port in "${NODE_PORTS[@]}"; do
  for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/ready" > /dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$port/ready" > /dev/null || { echo "node $port did not become ready: see $WORK/node-$port.log"; exit 1; }
done

# Not a daemon: a child of this script, with its own prefix (pid file, temp files) in $WORK.
nginx -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' > "$WORK/nginx.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/ready" > /dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$PORT/ready" > /dev/null || { echo "nginx did not start: see $WORK/nginx.log"; exit 1; }

echo "Ready: http://$LISTEN:$PORT (nodes ${NODE_PORTS[*]}, Redis $REDIS_PORT). Ctrl+C stops everything."
wait
