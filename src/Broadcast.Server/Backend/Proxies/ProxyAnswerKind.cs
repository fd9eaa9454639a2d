namespace Broadcast.Server.Backend.Proxies;

/// <summary>What the backend answered, before it is read as a decision.</summary>
internal enum ProxyAnswerKind
{
    /// <summary><c>{"result": {…}}</c>: yes, with the kind's fields.</summary>
    Result,

    /// <summary><c>{"error": {"code", "message"}}</c>: no; the client gets the code.</summary>
    Error,

    /// <summary><c>{"disconnect": {"code", "reason"}}</c>: no, and the connection is closed with that code.</summary>
    Disconnect,

    /// <summary>Not asked successfully: down, slow, an HTTP error, or an answer the server cannot read.</summary>
    Failed,
}
