using System.Text.Json;

namespace Broadcast.Client;

/// <summary>A request waiting for the reply with its id.</summary>
internal sealed class PendingRequest
{
    public PendingRequest(string id, byte[] frame, RequestKind kind, long sequence, Subscription? subscription = null, bool resume = false)
    {
        Id = id;
        Frame = frame;
        Kind = kind;
        Sequence = sequence;
        Subscription = subscription;
        Resume = resume;
    }

    public string Id { get; }

    /// <summary>The exact frame, so a retry is byte for byte the same request.</summary>
    public byte[] Frame { get; }

    public RequestKind Kind { get; }

    /// <summary>Creation order: retries go out in the order the application made the requests.</summary>
    public long Sequence { get; }

    /// <summary>For <see cref="RequestKind.Subscribe"/>: the subscription it (re-)establishes.</summary>
    public Subscription? Subscription { get; }

    /// <summary>For <see cref="RequestKind.Subscribe"/>: whether it carried <c>since</c>, so the reply reports a recovery.</summary>
    public bool Resume { get; }

    public TaskCompletionSource<JsonElement> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The connection it was last sent on, and when (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public Connection? SentOn { get; set; }

    public long SentAt { get; set; }

    /// <summary>For a publish: how many times the server answered <c>publish_unknown</c> (the retry's backoff grows with it).</summary>
    public int UnknownOutcomes { get; set; }
}
