using System.Net;

namespace Broadcast.Bench.Cli;

/// <summary>Everything one run needs; parsed once by the coordinator and handed to its workers unchanged.</summary>
public sealed class BenchOptions
{
    public Scenario Scenario { get; set; } = Scenario.Fanout;

    public WireProtocol Protocol { get; set; } = WireProtocol.Legacy;

    /// <summary>How subscribers connect (<c>--transport</c>); publishers always use WebSocket.</summary>
    public SubscriberTransport Transport { get; set; } = SubscriberTransport.WebSocket;

    /// <summary>ws://host:port/path of the server under test.</summary>
    public Uri Url { get; set; } = new("ws://127.0.0.1:8000/ws/events");

    /// <summary>Listening connections (subscribers; for chat, the clients; for idle and storm, the connections).</summary>
    public int Subscribers { get; set; } = 500;

    /// <summary>Publishing connections (fan-out only; in chat every client publishes).</summary>
    public int Publishers { get; set; } = 1;

    /// <summary>Messages per second: in total for fan-out, per client for chat.</summary>
    public double Rate { get; set; } = 2000;

    /// <summary>Length of each message's text in bytes.</summary>
    public int MessageBytes { get; set; } = 100;

    public double WarmupSeconds { get; set; } = 2;

    public double DurationSeconds { get; set; } = 10;

    /// <summary>How long to wait for stragglers after the last scheduled send.</summary>
    public double DrainSeconds { get; set; } = 10;

    /// <summary>Load processes to spread connections over (each holds at most ~20,000 files).</summary>
    public int Processes { get; set; } = 1;

    /// <summary>Handshakes in flight at once, per process.</summary>
    public int ConnectConcurrency { get; set; } = 64;

    /// <summary>Local addresses client sockets bind to, round-robin; empty means the kernel's choice.</summary>
    public IReadOnlyList<IPAddress> Sources { get; set; } = [];

    public string Channel { get; set; } = "bench";

    /// <summary>Server process to read CPU time and RSS from (/proc).</summary>
    public int? ServerPid { get; set; }

    public bool Json { get; set; }

    public string? OutFile { get; set; }

    /// <summary>Free text carried into the JSON (e.g. the server's name) for scripts that merge runs.</summary>
    public string? Label { get; set; }

    public bool NoLive { get; set; }

    /// <summary>Offer permessage-deflate in the upgrade (the server may then send compressed frames, which the tool inflates).</summary>
    public bool Deflate { get; set; }

    // Set only on the processes the coordinator starts.
    public int WorkerIndex { get; set; } = -1;

    public bool IsWorker => WorkerIndex >= 0;

    /// <summary>Publishing connections in the run, over all processes.</summary>
    public int PublisherCount => Scenario switch
    {
        Scenario.Chat => Subscribers,
        Scenario.Fanout => Publishers,
        Scenario.Idle => 1,
        _ => 0,
    };

    /// <summary>Messages per second of one publisher.</summary>
    public double RatePerPublisher => Scenario switch
    {
        Scenario.Chat => Rate,
        Scenario.Fanout => Rate / Publishers,
        Scenario.Idle => Rate,
        _ => 0,
    };

    /// <summary>True when the publishers are also the subscribers (they do not receive their own messages).</summary>
    public bool PublishersSubscribe => Scenario == Scenario.Chat;
}
