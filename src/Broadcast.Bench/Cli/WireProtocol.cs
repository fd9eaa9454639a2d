namespace Broadcast.Bench.Cli;

/// <summary>What the load tool speaks to the server under test.</summary>
public enum WireProtocol
{
    /// <summary><c>{"message":"…"}</c> on <c>/ws/events</c>: the original protocol.</summary>
    Legacy,

    /// <summary>Subprotocol <c>broadcast.v2</c>: hello, subscribe, publish on a channel.</summary>
    V2,

    /// <summary>ASP.NET Core SignalR's JSON hub protocol over WebSockets (hub method <c>Broadcast</c>).</summary>
    SignalR,
}
