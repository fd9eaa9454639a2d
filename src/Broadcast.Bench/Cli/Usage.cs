namespace Broadcast.Bench.Cli;

/// <summary>The --help text.</summary>
public static class Usage
{
    public const string Text = """
        Broadcast.Bench: load tool for servers speaking the broadcast protocol (or a SignalR hub).

        usage: Broadcast.Bench <fanout|chat|idle|storm> [options]

          --url ws://127.0.0.1:8000/ws/events   server endpoint (SignalR: the hub's URL, e.g. ws://127.0.0.1:5002/hub)
          --protocol legacy|v2|signalr          wire protocol (default legacy)
          --transport websocket|http-stream|sse how subscribers connect (default websocket; the others need --protocol v2)
          --subscribers N                       listening connections (alias --clients for chat, --connections for idle/storm)
          --publishers N                        fan-out publishers sharing --rate (default 1)
          --rate R                              msg/s: total for fan-out, per client for chat, probe rate for idle
          --size B                              message text length in bytes (default 100, minimum 40)
          --warmup S --duration S --drain S     seconds: warm-up (not measured), measured window, wait for stragglers
          --processes N                         load processes to spread connections over (results are merged)
          --sources 127.0.0.2-127.0.0.9         bind client sockets to these local addresses, round-robin
          --connect-concurrency N               handshakes in flight per process
          --channel NAME                        v2 channel (default bench)
          --server-pid PID                      read the server's CPU time and RSS from /proc
          --json | --out FILE                   machine-readable result to stdout | to a file
          --label TEXT                          carried into the JSON
          --no-live                             no live display, one progress line a second on stderr
          --deflate                             offer permessage-deflate; compressed frames are inflated (costs the tool CPU)

        Scenario defaults: fanout 500 subscribers x 2000 msg/s; chat 200 clients x 5 msg/s;
        idle 5000 connections held 5 s with a 1 msg/s probe; storm 5000 connections.

        Exit code: 0 done; 1 a client received its own message back (the sender must be excluded: a failed
        run, its JSON still written, with ownEchoes > 0); 2 bad arguments.
        """;
}
