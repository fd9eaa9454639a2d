namespace Broadcast.Client;

/// <summary>
/// The stable <c>code</c> values of error frames (docs/protocol.md). Programs compare these; the
/// human-readable text may be reworded by the server.
/// </summary>
public static class ErrorCodes
{
    // Legacy protocol (also used by broadcast.v2 for the same input problems).

    /// <summary>The frame is not a single well-formed JSON value.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>The JSON is valid but not an object.</summary>
    public const string NotAnObject = "not_an_object";

    /// <summary>The object has no <c>message</c> field.</summary>
    public const string MessageMissing = "message_missing";

    /// <summary><c>message</c> is not a string.</summary>
    public const string MessageNotString = "message_not_string";

    /// <summary><c>message</c> is empty.</summary>
    public const string MessageEmpty = "message_empty";

    /// <summary>A binary frame was sent; only text frames carry messages.</summary>
    public const string BinaryNotSupported = "binary_not_supported";

    // broadcast.v2.

    /// <summary>A frame other than <c>hello</c> came first.</summary>
    public const string HelloRequired = "hello_required";

    /// <summary><c>hello</c> came after the session started.</summary>
    public const string HelloRepeated = "hello_repeated";

    /// <summary><c>type</c> is missing or unknown.</summary>
    public const string TypeUnknown = "type_unknown";

    /// <summary><c>id</c> is not a string of 1-64 characters.</summary>
    public const string IdInvalid = "id_invalid";

    /// <summary><c>session</c> is not 8-64 characters of <c>A-Z a-z 0-9 _ -</c>.</summary>
    public const string SessionInvalid = "session_invalid";

    /// <summary><c>hello</c> named a session of another user, or a public id instead of a session token; the client starts a new session.</summary>
    public const string SessionForbidden = "session_forbidden";

    /// <summary><c>name</c> is not a string of at most 64 characters.</summary>
    public const string NameInvalid = "name_invalid";

    /// <summary><c>channel</c> is missing or not 1-128 characters of <c>A-Z a-z 0-9 _ - . : @ /</c>.</summary>
    public const string ChannelInvalid = "channel_invalid";

    /// <summary><c>since</c> is malformed.</summary>
    public const string SinceInvalid = "since_invalid";

    /// <summary><c>limit</c> is not an integer from 1 to 1000.</summary>
    public const string LimitInvalid = "limit_invalid";

    /// <summary>The connection is already subscribed to the maximum number of channels.</summary>
    public const string TooManyChannels = "too_many_channels";

    /// <summary>Unsubscribe from a channel the connection is not subscribed to.</summary>
    public const string NotSubscribed = "not_subscribed";

    /// <summary>The server cannot reach its engine (Redis): nothing was published or subscribed; retry later.</summary>
    public const string EngineUnavailable = "engine_unavailable";

    /// <summary>The connection publishes faster than the server allows; nothing was published. Slow down.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>
    /// The connection's token (or anonymous access) does not allow this on that channel. Also the code of
    /// <see cref="BroadcastClient.SubscriptionEnded"/> when a refreshed token no longer allows a subscription.
    /// </summary>
    public const string Forbidden = "forbidden";

    /// <summary>
    /// The code of <see cref="BroadcastClient.SubscriptionEnded"/> when the application ended the subscription
    /// (the server's HTTP API or admin page unsubscribed the user).
    /// </summary>
    public const string UnsubscribedByServer = "unsubscribed_by_server";

    /// <summary>A publish's <c>data</c> nests arrays and objects more than 32 levels deep; nothing was published.</summary>
    public const string DataTooDeep = "data_too_deep";

    /// <summary>A publish's <c>bytes</c> is not standard base64 (JSON) or binary (MessagePack); nothing was published.</summary>
    public const string BytesInvalid = "bytes_invalid";

    /// <summary>A publish carried more than one of <c>message</c>, <c>data</c> and <c>bytes</c>; nothing was published.</summary>
    public const string PayloadConflict = "payload_conflict";


    /// <summary>On <c>broadcast.v2.msgpack</c>: a binary frame that is not one MessagePack map of the protocol.</summary>
    public const string InvalidMessagePack = "invalid_msgpack";

    /// <summary>On <c>broadcast.v2.msgpack</c>: a text frame (that subprotocol's frames are binary).</summary>
    public const string TextNotSupported = "text_not_supported";

    /// <summary>The token sent with an <c>auth</c> request is not valid.</summary>
    public const string TokenInvalid = "token_invalid";

    /// <summary>An <c>auth</c> request tried to switch to another user's token.</summary>
    public const string UserMismatch = "user_mismatch";

    /// <summary>Legacy protocol only: messages were dropped because the client reads too slowly.</summary>
    public const string MessagesDropped = "messages_dropped";

    /// <summary>
    /// A publish while the server shuts down: nothing was published, and the server closes with 1001 next.
    /// This client keeps such a publish and sends it again (same id) after the reconnect.
    /// </summary>
    public const string ShuttingDown = "shutting_down";

    /// <summary>
    /// The server's engine did not answer a publish in time: it may or may not have been published.
    /// <see cref="BroadcastClient.PublishAsync"/> sends it again with the same id (published at most once).
    /// </summary>
    public const string PublishUnknown = "publish_unknown";

    /// <summary>The application's backend (a proxy) did not answer in time or answered nonsense; nothing was done. Retry later.</summary>
    public const string BackendUnavailable = "backend_unavailable";

    /// <summary>The application's backend refused an <c>rpc</c> request without a code of its own.</summary>
    public const string BackendRefused = "backend_refused";

    /// <summary>An <c>rpc</c> request's <c>method</c> is not 1-64 characters of <c>A-Z a-z 0-9 _ - . : /</c>.</summary>
    public const string MethodInvalid = "method_invalid";

    /// <summary>An <c>rpc</c> request reached a server without an RPC backend.</summary>
    public const string RpcNotConfigured = "rpc_not_configured";

    // Raised by this client, never sent by the server.

    /// <summary>
    /// The publish frame is larger than the server's <c>maxMessageBytes</c> (from <c>welcome</c>). The
    /// client refuses to send it: the server would close the connection with 1009, and the retry after
    /// reconnecting would do the same forever.
    /// </summary>
    public const string MessageTooBig = "message_too_big";

    /// <summary>
    /// The connection ended before an <c>rpc</c>'s answer. The backend may or may not have handled it: an rpc is never
    /// sent again by itself (asking twice may not be safe); call <see cref="BroadcastClient.RpcAsync"/> again if it is.
    /// </summary>
    public const string ConnectionLost = "connection_lost";
}
