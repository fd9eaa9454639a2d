#!/usr/bin/env bash
# Profiles one node on the Redis engine under bench/RedisTopologies/fanout-load.cs (1,000 channels x 10 subscribers,
# 100 publishers) with perf: 8 s of samples; prints the split by DSO and the top managed symbols. Needs perf.
# JIT everything (no ReadyToRun) and no W^X double mapping, so perf resolves managed frames from /tmp/perf-PID.map.
set -uo pipefail
cd "$(dirname "$0")/../.."
ulimit -n 20000
W=$(mktemp -d /tmp/c5perf.XXXX)
redis-server --port 7801 --bind 127.0.0.1 --save '' --appendonly no --dir $W --loglevel warning >/dev/null 2>&1 & R=$!
sleep 0.5
DOTNET_PerfMapEnabled=1 DOTNET_ReadyToRun=0 DOTNET_TieredPGO=0 DOTNET_EnableWriteXorExecute=0 dotnet src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll --urls http://127.0.0.1:7802 --Broadcast:Engine=Redis --Broadcast:Redis:Configuration=127.0.0.1:7801 --Broadcast:Limits:PublishRatePerSecond=0 --Broadcast:Limits:RequestRatePerSecond=0 --Broadcast:Limits:MaxConnections=15000 --Broadcast:Limits:MaxSocketsPerAddress=15000 --Broadcast:Auth:AnonymousPublish='*' --Broadcast:Auth:AnonymousSubscribe='*' --Logging:LogLevel:Default=Warning >$W/node.log 2>&1 & N=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:7802/ready >/dev/null && break; sleep 0.2; done
dotnet run bench/RedisTopologies/fanout-load.cs -- --urls ws://127.0.0.1:7802/ws/events --seconds 25 --warmup 3 --node-pids $N --redis-pids $R > $W/load.out 2>&1 & L=$!
sleep 22
perf record -F 499 -g -p $N -o $W/perf.data -- sleep 8 >/dev/null 2>&1
wait $L; cat $W/load.out
perf report -i $W/perf.data --no-children --sort dso --stdio 2>/dev/null | grep -E "^\s+[0-9.]+%" | head -8; perf report -i $W/perf.data --no-children --sort symbol --stdio 2>/dev/null | grep -E "^\s+[0-9.]+%" | grep -v "\[k\]" | head -30
kill -9 $N $R
