#!/usr/bin/env bash
# Acknowledged publications per second through the memory engine (one node) and the Redis engine on one
# Redis, three Redis shards and a Redis Cluster of three masters (plus three replicas), with node and Redis CPU.
# Load: --channels 1000, --subscribers 10 per channel, --publishers 100 (window 4 each), spread over the nodes.
#   bash bench/RedisTopologies/run.sh            # every topology, 15 s each
#   SECONDS_EACH=30 NODES=2 bash bench/RedisTopologies/run.sh
#   ONLY=cluster bash bench/RedisTopologies/run.sh   # the cluster rows only (with and without SyncReplicas)
# Build first: dotnet build src/Broadcast.Server -c Release. Needs redis-server and redis-cli.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${SECONDS_EACH:-15}
NODES=${NODES:-2}
BASE=${BASE_PORT:-7400}
WORK=$(mktemp -d /tmp/redis-topologies.XXXXXX)
DLL=src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
ulimit -n 20000

start_redis() { # port [extra args...]
  local port=$1; shift
  mkdir -p "$WORK/$port"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning --dir "$WORK/$port" "$@" >"$WORK/redis-$port.log" 2>&1 &
  pids+=($!); REDIS_PIDS+=($!)
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
}

start_nodes() { # count settings...
  local count=$1; shift
  URLS=(); NODE_PIDS=()
  for i in $(seq 1 "$count"); do
    local port=$((BASE + 100 + i))
    dotnet "$DLL" --urls "http://127.0.0.1:$port" "$@" \
      --Broadcast:Limits:PublishRatePerSecond=0 --Broadcast:Limits:RequestRatePerSecond=0 \
      --Broadcast:Limits:MaxConnections=15000 --Broadcast:Limits:MaxSocketsPerAddress=15000 \
      --Broadcast:Auth:AnonymousPublish='*' --Broadcast:Auth:AnonymousSubscribe='*' \
      --Logging:LogLevel:Default=Warning >"$WORK/node-$port.log" 2>&1 &
    pids+=($!); NODE_PIDS+=($!); URLS+=("ws://127.0.0.1:$port/ws/events")
    for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
  done
}

measure() { # name
  local urls pids_node pids_redis
  urls=$(IFS=,; echo "${URLS[*]}"); pids_node=$(IFS=,; echo "${NODE_PIDS[*]}"); pids_redis=$(IFS=,; echo "${REDIS_PIDS[*]:-}")
  printf '%-28s ' "$1"
  dotnet run bench/RedisTopologies/fanout-load.cs -- --urls "$urls" --seconds "$SECONDS_EACH" \
    --node-pids "$pids_node" --redis-pids "$pids_redis"
  cleanup; pids=()
}

echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(redis-server --version | cut -d' ' -f3)"

start_cluster() {
  REDIS_PIDS=(); cluster=()
  rm -f "$WORK"/nodes-*.conf
  for s in 1 2 3 4 5 6; do
    rm -rf "$WORK/$((BASE + 10 + s))"
    start_redis $((BASE + 10 + s)) --cluster-enabled yes --cluster-config-file "$WORK/nodes-$s.conf" --cluster-node-timeout 5000
    cluster+=("127.0.0.1:$((BASE + 10 + s))")
  done
  redis-cli --cluster create "${cluster[@]}" --cluster-replicas 1 --cluster-yes >"$WORK/cluster-create.log" 2>&1
  for _ in $(seq 1 100); do redis-cli -p $((BASE + 11)) cluster info | grep -q cluster_state:ok && break; sleep 0.2; done
  sleep 2
}

if [[ -z "${ONLY:-}" ]]; then
  REDIS_PIDS=(); start_nodes 1 --Broadcast:Engine=Memory
  measure "memory, 1 node"

  REDIS_PIDS=(); start_redis $((BASE + 1)); start_nodes 1 --Broadcast:Engine=Redis --Broadcast:Redis:Configuration=127.0.0.1:$((BASE + 1))
  measure "1 Redis, 1 node"

  REDIS_PIDS=(); start_redis $((BASE + 1)); start_nodes "$NODES" --Broadcast:Engine=Redis --Broadcast:Redis:Configuration=127.0.0.1:$((BASE + 1))
  measure "1 Redis, $NODES nodes"

  REDIS_PIDS=(); for s in 1 2 3; do start_redis $((BASE + s)); done
  start_nodes "$NODES" --Broadcast:Engine=Redis --Broadcast:Redis:Shards:0=127.0.0.1:$((BASE + 1)) \
    --Broadcast:Redis:Shards:1=127.0.0.1:$((BASE + 2)) --Broadcast:Redis:Shards:2=127.0.0.1:$((BASE + 3))
  measure "3 shards, $NODES nodes"
fi

# ONLY=cluster runs just these two: the cluster, then the same with a replica confirming every publication.
start_cluster
start_nodes "$NODES" --Broadcast:Engine=Redis --Broadcast:Redis:Configuration="$(IFS=,; echo "${cluster[*]}")"
measure "cluster 3+3, $NODES nodes"

start_cluster
start_nodes "$NODES" --Broadcast:Engine=Redis --Broadcast:Redis:Configuration="$(IFS=,; echo "${cluster[*]}")" --Broadcast:Redis:SyncReplicas=1
measure "cluster, SyncReplicas=1"
echo "Logs: $WORK"
