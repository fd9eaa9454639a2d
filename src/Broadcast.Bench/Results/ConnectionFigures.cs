namespace Broadcast.Bench.Results;

/// <summary>How opening the run's connections went.</summary>
public sealed class ConnectionFigures
{
    public int Attempted { get; set; }

    public int Connected { get; set; }

    /// <summary>Answered 503 before the upgrade (a clean refusal).</summary>
    public int Refused { get; set; }

    /// <summary>Answered another status than 101 or 503.</summary>
    public int Rejected { get; set; }

    /// <summary>TCP or handshake failures and timeouts.</summary>
    public int Failed { get; set; }

    public string? FirstError { get; set; }

    public double ConnectsPerSecond { get; set; }

    public LatencySummary HandshakeLatency { get; set; } = new();

    /// <summary>Connections that ended before the run did (e.g. closed by the server as slow consumers).</summary>
    public int ClosedDuringRun { get; set; }
}
