using Broadcast.Server.Channels;
using Broadcast.Server.Security;

namespace Broadcast.Server.Protocol;

/// <summary>
/// Every error a client can receive, in one place. The codes are part of the protocol
/// (docs/protocol.md lists them, and the clients mirror them): never rename one.
/// </summary>
public static class ProtocolErrors
{
    public static readonly ProtocolError InvalidJson = ProtocolError.Define(
        "invalid_json", "Invalid JSON: send a JSON object such as {\"message\": \"text\"}.");

    public static readonly ProtocolError NotAnObject = ProtocolError.Define(
        "not_an_object", "Expected a JSON object such as {\"message\": \"text\"}.");

    public static readonly ProtocolError MessageMissing = ProtocolError.Define(
        "message_missing", "Field 'message' is required.");

    public static readonly ProtocolError MessageNotString = ProtocolError.Define(
        "message_not_string", "Field 'message' must be a string.");

    public static readonly ProtocolError MessageEmpty = ProtocolError.Define(
        "message_empty", "Field 'message' must not be empty.");

    public static readonly ProtocolError BinaryNotSupported = ProtocolError.Define(
        "binary_not_supported", "Binary frames are not supported: send JSON in text frames.");

    public static readonly ProtocolError HelloRequired = ProtocolError.Define(
        "hello_required", "The first frame must be {\"type\": \"hello\"}.");

    public static readonly ProtocolError HelloRepeated = ProtocolError.Define(
        "hello_repeated", "The session has already started; send hello only once.");

    public static readonly ProtocolError TypeUnknown = ProtocolError.Define(
        "type_unknown", "Field 'type' must be one of: hello, auth, subscribe, unsubscribe, publish, history, presence, rpc.");

    public static readonly ProtocolError IdInvalid = ProtocolError.Define(
        "id_invalid", "Field 'id' must be a string of 1 to 64 characters.");

    public static readonly ProtocolError SessionInvalid = ProtocolError.Define(
        "session_invalid", "Field 'session' must be 8 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.");

    public static readonly ProtocolError SessionForbidden = ProtocolError.Define(
        "session_forbidden", "This session belongs to another user, or 'session' is a public id (what others see), not a session token. Send hello without 'session' to start a new one.");

    public static readonly ProtocolError NameInvalid = ProtocolError.Define(
        "name_invalid", "Field 'name' must be a string of at most 64 characters.");

    public static readonly ProtocolError ChannelInvalid = ProtocolError.Define(
        "channel_invalid", "Field 'channel' must be 1 to 128 characters of A-Z, a-z, 0-9 and _ - . : @ /.");

    public static readonly ProtocolError SinceInvalid = ProtocolError.Define(
        "since_invalid", "Field 'since' must be {\"epoch\": string, \"offset\": integer from 0 to 2^53 - 1} for subscribe, or such an integer for history.");

    public static readonly ProtocolError LimitInvalid = ProtocolError.Define(
        "limit_invalid", "Field 'limit' must be an integer from 1 to 1000.");

    public static readonly ProtocolError TooManyChannels = ProtocolError.Define(
        "too_many_channels", "This connection is subscribed to the maximum number of channels.");

    public static readonly ProtocolError NotSubscribed = ProtocolError.Define(
        "not_subscribed", "This connection is not subscribed to that channel.");

    public static readonly ProtocolError EngineUnavailable = ProtocolError.Define(
        "engine_unavailable", "The server cannot reach its engine right now; nothing was published. Retry later.");

    public static readonly ProtocolError Forbidden = ProtocolError.Define(
        "forbidden", "This connection may not do that on this channel: its token (or anonymous access) does not allow it.");

    public static readonly ProtocolError TokenInvalid = ProtocolError.Define(
        "token_invalid", "Field 'token' must be a valid, unexpired token (signature, issuer, audience, expiry).");

    public static readonly ProtocolError UserMismatch = ProtocolError.Define(
        "user_mismatch", "The new token names a different user than the connection's; reconnect to change users.");

    public static readonly ProtocolError RateLimited = ProtocolError.Define(
        "rate_limited", "Too many publishes from this connection: slow down. Nothing was published.");

    // The same code with a text naming the budget that refused. Not in All, which holds one error per code.
    public static readonly ProtocolError AddressRateLimited = ProtocolError.Define(
        "rate_limited", "Too many publishes from this address: slow down. Nothing was published.");

    public static readonly ProtocolError ChannelRateLimited = ProtocolError.Define(
        "rate_limited", "This channel is receiving too many publications right now: retry later. Nothing was published.");

    public static readonly ProtocolError RequestRateLimited = ProtocolError.Define(
        "rate_limited", "Too many requests from this connection: slow down. Nothing was done.");

    public static readonly ProtocolError MessagesDropped = ProtocolError.Define(
        "messages_dropped", "Messages were dropped because this client reads too slowly (the channel drops rather than disconnects).");

    public static readonly ProtocolError ShuttingDown = ProtocolError.Define(
        "shutting_down", "The server is shutting down; nothing was published. Publish again after reconnecting.");

    // Issue #12: an outcome the server cannot know is never reported as "nothing was published".
    public static readonly ProtocolError PublishUnknown = ProtocolError.Define(
        "publish_unknown", "The engine did not answer in time: the message may or may not have been published. Retrying with the same id is safe (it is published at most once).");

    public static readonly ProtocolError BackendUnavailable = ProtocolError.Define(
        "backend_unavailable", "The application's backend did not answer in time, or answered something the server could not read; nothing was done. Retry later.");

    public static readonly ProtocolError BackendRefused = ProtocolError.Define(
        "backend_refused", "The application's backend refused this request.");

    public static readonly ProtocolError MethodInvalid = ProtocolError.Define(
        "method_invalid", "Field 'method' must be 1 to 64 characters of A-Z, a-z, 0-9 and _ - . : /.");

    public static readonly ProtocolError RpcNotConfigured = ProtocolError.Define(
        "rpc_not_configured", "This server has no RPC backend (Broadcast:Proxy:Rpc:Url is not set).");

    public static readonly ProtocolError UnsubscribedByServer = ProtocolError.Define(
        "unsubscribed_by_server", "The application ended this subscription (the HTTP API or the admin page).");

    public static readonly ProtocolError DataTooDeep = ProtocolError.Define(
        "data_too_deep", "Field 'data' may nest arrays and objects at most 32 levels deep.");

    public static readonly ProtocolError BytesInvalid = ProtocolError.Define(
        "bytes_invalid", "Field 'bytes' must be a string of standard base64 (or, in MessagePack, binary).");

    public static readonly ProtocolError PayloadConflict = ProtocolError.Define(
        "payload_conflict", "A publish carries exactly one of 'message', 'data' and 'bytes'.");


    public static readonly ProtocolError InvalidMessagePack = ProtocolError.Define(
        "invalid_msgpack", "Invalid MessagePack: send one map with string keys per binary frame, such as {\"type\": \"hello\"}.");

    public static readonly ProtocolError TextNotSupported = ProtocolError.Define(
        "text_not_supported", "Text frames are not supported on broadcast.v2.msgpack: send MessagePack in binary frames.");

    public static IReadOnlyList<ProtocolError> All { get; } =
    [
        InvalidJson, NotAnObject, MessageMissing, MessageNotString, MessageEmpty, BinaryNotSupported,
        HelloRequired, HelloRepeated, TypeUnknown, IdInvalid, SessionInvalid, SessionForbidden, NameInvalid, ChannelInvalid,
        SinceInvalid, LimitInvalid, TooManyChannels, NotSubscribed, EngineUnavailable, RateLimited,
        Forbidden, TokenInvalid, UserMismatch, MessagesDropped, ShuttingDown, PublishUnknown,
        BackendUnavailable, BackendRefused, MethodInvalid, RpcNotConfigured, UnsubscribedByServer,
        DataTooDeep, BytesInvalid, PayloadConflict, InvalidMessagePack, TextNotSupported,
    ];

    /// <summary>
    /// The error for a refusal of the application's backend: <see cref="BackendUnavailable"/> when it could not be
    /// asked, otherwise its own code and text (built per refusal: refusals are rare, and the text is the backend's).
    /// </summary>
    public static ProtocolError For(BackendRefusal refusal) =>
        refusal.Unavailable ? BackendUnavailable : ProtocolError.Define(refusal.Code, refusal.Reason);

    /// <summary>The <c>rate_limited</c> error naming the budget that refused.</summary>
    public static ProtocolError For(BudgetKind budget) => budget switch
    {
        BudgetKind.Address => AddressRateLimited,
        BudgetKind.Channel => ChannelRateLimited,
        BudgetKind.Requests => RequestRateLimited,
        _ => RateLimited,
    };

    public static ProtocolError For(SubscribeFailure failure) => failure == SubscribeFailure.TooManyChannels ? TooManyChannels : EngineUnavailable;

    public static ProtocolError For(TokenRefusal refusal) => refusal == TokenRefusal.UserMismatch ? UserMismatch : TokenInvalid;
}
