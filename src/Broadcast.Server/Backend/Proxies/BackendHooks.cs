using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Broadcast.Server.Channels;
using Broadcast.Server.Protocol;
using Broadcast.Server.Security;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Backend.Proxies;

/// <summary>
/// The proxies: each event the operator configured a URL for is POSTed to the application's backend, and its
/// answer read as the decision (docs/integration.md has every payload). A backend that cannot be asked (down,
/// slower than the timeout, an HTTP error, nonsense) gets the proxy's <see cref="ProxyEndpointOptions.OnFailure"/>
/// outcome, and an answer of the right shape but with wrong fields counts as nonsense: a backend bug must
/// not grant what it did not mean to.
/// </summary>
internal sealed partial class BackendHooks : IBackendHooks, IRpcBackend
{
    /// <summary>Data for the client in the connect answer, at most this many bytes of JSON.</summary>
    public const int MaxConnectDataBytes = 64 * 1024;

    /// <summary>How long a connection is extended when the refresh proxy cannot be asked and allows then: it is asked again after that.</summary>
    public static readonly TimeSpan RefreshRetry = TimeSpan.FromSeconds(30);

    private const int MaxReasonLength = 256;
    private const int MaxPatterns = 256;

    private readonly ProxyClient _client;
    private readonly IBackendObserver _observer;
    private readonly TimeProvider _clock;
    private readonly ConnectProxyOptions _connect;
    private readonly SubscribeProxyOptions _subscribe;
    private readonly PublishProxyOptions _publish;
    private readonly RefreshProxyOptions _refresh;
    private readonly RpcProxyOptions _rpc;
    private readonly ChannelPatterns _subscribeChannels;
    private readonly ChannelPatterns _publishChannels;

    public BackendHooks(
        ProxyClient client,
        IBackendObserver observer,
        TimeProvider clock,
        IOptions<ProxyOptions> proxy,
        IOptions<ConnectProxyOptions> connect,
        IOptions<SubscribeProxyOptions> subscribe,
        IOptions<PublishProxyOptions> publish,
        IOptions<RefreshProxyOptions> refresh,
        IOptions<RpcProxyOptions> rpc)
    {
        _client = client;
        _observer = observer;
        _clock = clock;
        _connect = connect.Value;
        _subscribe = subscribe.Value;
        _publish = publish.Value;
        _refresh = refresh.Value;
        _rpc = rpc.Value;
        _subscribeChannels = _subscribe.IsEnabled ? ChannelPatterns.Parse(_subscribe.Channels) : ChannelPatterns.None;
        _publishChannels = _publish.IsEnabled ? ChannelPatterns.Parse(_publish.Channels) : ChannelPatterns.None;
        var any = _connect.IsEnabled || _subscribe.IsEnabled || _publish.IsEnabled || _refresh.IsEnabled || _rpc.IsEnabled;
        ForwardedHeaders = any ? proxy.Value.ForwardedHeaderNames() : [];
        KeepsForwardedHeaders = _subscribe.IsEnabled || _publish.IsEnabled || _refresh.IsEnabled || _rpc.IsEnabled;
    }

    public IReadOnlyList<string> ForwardedHeaders { get; }

    public bool KeepsForwardedHeaders { get; }

    public bool AsksOnConnect => _connect.IsEnabled;

    public bool AsksOnSubscribe(string channel) => _subscribeChannels.Allows(channel);

    public bool AsksOnPublish(string channel) => _publishChannels.Allows(channel);

    public bool AsksOnRefresh => _refresh.IsEnabled;

    public bool IsConfigured => _rpc.IsEnabled;

    public async ValueTask<ConnectVerdict> ConnectAsync(ClientContext client, CancellationToken cancellationToken)
    {
        var asked = await AskAsync(_connect, client, null, cancellationToken);
        var answer = asked.Answer;
        var outcome = asked.Outcome;
        ConnectVerdict verdict;
        switch (answer.Kind)
        {
            case ProxyAnswerKind.Result when ReadConnectResult(answer.Result) is { } allowed:
                verdict = allowed;
                break;
            case ProxyAnswerKind.Result:
                outcome = ProxyAnswer.InvalidAnswer;
                verdict = OnFailure(_connect, () => ConnectVerdict.AllowedAnonymous, refusal => new ConnectVerdict(refusal, null, null));
                break;
            case ProxyAnswerKind.Error or ProxyAnswerKind.Disconnect:
                // An upgrade has no connection to close yet: a disconnect is a refusal like an error.
                verdict = new ConnectVerdict(new BackendRefusal(CodeOr(answer.Code, ConnectRefusedCode), ReasonOr(answer.Reason)), null, null);
                break;
            default:
                verdict = OnFailure(_connect, () => ConnectVerdict.AllowedAnonymous, refusal => new ConnectVerdict(refusal, null, null));
                break;
        }

        Report(ProxyKind.Connect, outcome, asked.Duration);
        return verdict;
    }

    public async ValueTask<BackendRefusal?> SubscribeAsync(ClientContext client, string channel, CancellationToken cancellationToken)
    {
        var asked = await AskAsync(_subscribe, client, writer => writer.WriteString("channel"u8, channel), cancellationToken);
        var answer = asked.Answer;
        var outcome = asked.Outcome;
        var refusal = answer.Kind switch
        {
            ProxyAnswerKind.Result => null,
            ProxyAnswerKind.Error or ProxyAnswerKind.Disconnect => Refusal(answer, ProtocolErrors.Forbidden.Code),
            _ => OnFailure(_subscribe, () => (BackendRefusal?)null, refusal => refusal),
        };
        Report(ProxyKind.Subscribe, outcome, asked.Duration);
        return refusal;
    }

    public async ValueTask<PublishVerdict> PublishAsync(ClientContext client, string channel, ProxiedPayload payload, CancellationToken cancellationToken)
    {
        var asked = await AskAsync(
            _publish,
            client,
            writer =>
            {
                writer.WriteString("channel"u8, channel);
                switch (payload.Kind)
                {
                    case ProxiedPayloadKind.Data:
                        writer.WriteString("payload"u8, "data"u8);
                        writer.WritePropertyName("data"u8);
                        writer.WriteRawValue(payload.Bytes, skipInputValidation: true);
                        break;
                    case ProxiedPayloadKind.Bytes:
                        writer.WriteString("payload"u8, "bytes"u8);
                        writer.WriteBase64String("data"u8, payload.Bytes);
                        break;
                    default:
                        writer.WriteString("payload"u8, "message"u8);
                        ProxyRequestBody.WriteEscapedString(writer, "data"u8, payload.Bytes);
                        break;
                }
            },
            cancellationToken);
        var answer = asked.Answer;
        var outcome = asked.Outcome;
        PublishVerdict verdict;
        switch (answer.Kind)
        {
            case ProxyAnswerKind.Result when ReadReplacement(answer.Result, payload.Kind, out var replacement):
                verdict = replacement is null ? PublishVerdict.Unchanged : new PublishVerdict(null, replacement);
                break;
            case ProxyAnswerKind.Error or ProxyAnswerKind.Disconnect:
                verdict = new PublishVerdict(Refusal(answer, ProtocolErrors.Forbidden.Code), null);
                break;
            default:
                if (answer.Kind == ProxyAnswerKind.Result)
                {
                    outcome = ProxyAnswer.InvalidAnswer;
                }

                verdict = OnFailure(_publish, () => PublishVerdict.Unchanged, refusal => new PublishVerdict(refusal, null));
                break;
        }

        Report(ProxyKind.Publish, outcome, asked.Duration);
        return verdict;
    }

    public async ValueTask<RefreshVerdict> RefreshAsync(ClientContext client, CancellationToken cancellationToken)
    {
        var asked = await AskAsync(_refresh, client, null, cancellationToken);
        var answer = asked.Answer;
        var outcome = asked.Outcome;
        RefreshVerdict verdict;
        switch (answer.Kind)
        {
            case ProxyAnswerKind.Result when answer.Result.TryGetProperty("expireAt", out var expireAt) && ReadTime(expireAt) is { } expires:
                verdict = new RefreshVerdict(null, expires);
                break;
            case ProxyAnswerKind.Error or ProxyAnswerKind.Disconnect:
                verdict = new RefreshVerdict(Refusal(answer, "refresh_refused"), null);
                break;
            default:
                if (answer.Kind == ProxyAnswerKind.Result)
                {
                    outcome = ProxyAnswer.InvalidAnswer;
                }

                verdict = OnFailure(_refresh, () => new RefreshVerdict(null, _clock.GetUtcNow() + RefreshRetry), refusal => new RefreshVerdict(refusal, null));
                break;
        }

        Report(ProxyKind.Refresh, outcome, asked.Duration);
        return verdict;
    }

    public async ValueTask<RpcAnswer> CallAsync(ClientContext client, string method, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var asked = await AskAsync(
            _rpc,
            client,
            writer =>
            {
                writer.WriteString("method"u8, method);
                writer.WritePropertyName("data"u8);
                if (data.IsEmpty)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteRawValue(data.Span, skipInputValidation: true);
                }
            },
            cancellationToken);
        var answer = asked.Answer;
        var outcome = asked.Outcome;
        var reply = answer.Kind switch
        {
            ProxyAnswerKind.Result => new RpcAnswer(answer.Result.TryGetProperty("data", out var result) ? JsonSerializer.SerializeToUtf8Bytes(result) : null, null),
            ProxyAnswerKind.Error or ProxyAnswerKind.Disconnect => new RpcAnswer(null, Refusal(answer, ProtocolErrors.BackendRefused.Code)),
            // An answer cannot be made up: whatever OnFailure says, a failed call is an error for the client.
            _ => new RpcAnswer(null, Unavailable()),
        };
        Report(ProxyKind.Rpc, outcome, asked.Duration);
        return reply;
    }

    private const string ConnectRefusedCode = "connect_refused";

    private async ValueTask<Asked> AskAsync(ProxyEndpointOptions endpoint, ClientContext client, Action<Utf8JsonWriter>? fields, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = await _client.CallAsync(endpoint, client.Headers, ProxyRequestBody.Write(client, fields), cancellationToken);
        var outcome = answer.Kind switch
        {
            ProxyAnswerKind.Result => "allowed",
            ProxyAnswerKind.Error => "refused",
            ProxyAnswerKind.Disconnect => "disconnected",
            _ => answer.Failure ?? "unreachable",
        };
        return new Asked(answer, outcome, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>One call: the answer, the metric's outcome (changed to invalid_answer when the fields are wrong), and how long it took.</summary>
    private sealed record Asked(ProxyAnswer Answer, string Outcome, TimeSpan Duration);

    private void Report(ProxyKind kind, string outcome, TimeSpan duration) => _observer.ProxyCalled(kind, outcome, duration);

    private static T OnFailure<T>(ProxyEndpointOptions endpoint, Func<T> allow, Func<BackendRefusal, T> deny) =>
        endpoint.OnFailure == ProxyFailureMode.Allow ? allow() : deny(Unavailable());

    private static BackendRefusal Unavailable() =>
        new(ProtocolErrors.BackendUnavailable.Code, ProtocolErrors.BackendUnavailable.Text, Unavailable: true);

    private static BackendRefusal Refusal(ProxyAnswer answer, string defaultCode) => answer.Kind == ProxyAnswerKind.Disconnect
        ? new BackendRefusal("disconnected", ReasonOr(answer.Reason), answer.CloseCode)
        : new BackendRefusal(CodeOr(answer.Code, defaultCode), ReasonOr(answer.Reason));

    private static string CodeOr(string? code, string fallback) => code is not null && CodePattern().IsMatch(code) ? code : fallback;

    private static string ReasonOr(string? reason) =>
        reason is { Length: > 0 } text ? (text.Length > MaxReasonLength ? text[..MaxReasonLength] : text) : "The application's backend refused this.";

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex CodePattern();

    /// <summary>The connect answer's fields; null when one of them is of the wrong type or out of range.</summary>
    private static ConnectVerdict? ReadConnectResult(JsonElement result)
    {
        string? user = null;
        if (result.TryGetProperty("user", out var userField) && userField.ValueKind != JsonValueKind.Null)
        {
            if (userField.ValueKind != JsonValueKind.String || userField.GetString() is not { Length: > 0 and <= 256 } name)
            {
                return null;
            }

            user = name;
        }

        var expires = ClientPrincipal.NoExpiry;
        var refreshable = false;
        if (result.TryGetProperty("expireAt", out var expireAt) && expireAt.ValueKind != JsonValueKind.Null)
        {
            if (ReadTime(expireAt) is not { } at)
            {
                return null;
            }

            expires = at;
            refreshable = true;
        }

        if (ReadPatterns(result, "subscribe") is not { } subscribe || ReadPatterns(result, "publish") is not { } publish || ReadChannels(result) is not { } channels)
        {
            return null;
        }

        byte[]? data = null;
        if (result.TryGetProperty("data", out var dataField))
        {
            data = JsonSerializer.SerializeToUtf8Bytes(dataField);
            if (data.Length > MaxConnectDataBytes)
            {
                return null;
            }
        }

        var named = user is not null || subscribe.Patterns.Count > 0 || publish.Patterns.Count > 0 || channels.Count > 0 || refreshable;
        var principal = named
            ? new ClientPrincipal(user, subscribe, publish, expires) { Channels = channels, Source = PrincipalSource.Backend }
            : null;
        return new ConnectVerdict(null, principal, data);
    }

    /// <summary>The optional replacement of a publish; false when <c>data</c> is there but not a non-empty string.</summary>
    /// <summary>
    /// The answer's <c>data</c>, read as the kind the client published (absent or null: keep the client's): a
    /// non-empty string for a message, any JSON value nesting at most <see cref="MaxReplacementDepth"/> levels for
    /// data, a base64 string for bytes. Anything else is an unreadable answer, never a yes.
    /// </summary>
    private static bool ReadReplacement(JsonElement result, ProxiedPayloadKind kind, out ProxiedPayload? replacement)
    {
        replacement = null;
        if (!result.TryGetProperty("data", out var data) || data.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        switch (kind)
        {
            case ProxiedPayloadKind.Data:
                var raw = System.Text.Encoding.UTF8.GetBytes(data.GetRawText());
                if (DepthOf(raw) > MaxReplacementDepth)
                {
                    return false;
                }

                replacement = new ProxiedPayload(kind, raw);
                return true;
            case ProxiedPayloadKind.Bytes:
                if (data.ValueKind != JsonValueKind.String || !data.TryGetBytesFromBase64(out var bytes) || bytes.Length == 0)
                {
                    return false;
                }

                replacement = new ProxiedPayload(kind, bytes);
                return true;
            default:
                if (data.ValueKind != JsonValueKind.String || data.GetString() is not { Length: > 0 } text)
                {
                    return false;
                }

                // Publications keep the message as escaped JSON string content, as a client's publish would have it.
                var quoted = JsonSerializer.SerializeToUtf8Bytes(text, EscapeOptions);
                replacement = new ProxiedPayload(kind, quoted[1..^1]);
                return true;
        }
    }

    /// <summary>As deep as a client's own <c>data</c> may nest (the publish path's bound).</summary>
    private const int MaxReplacementDepth = 32;

    private static int DepthOf(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        var deepest = 0;
        while (reader.Read())
        {
            deepest = Math.Max(deepest, reader.CurrentDepth + (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray ? 1 : 0));
        }

        return deepest;
    }

    private static readonly JsonSerializerOptions EscapeOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static DateTimeOffset? ReadTime(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) && seconds is >= 0 and <= 253_402_300_799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static ChannelPatterns? ReadPatterns(JsonElement result, string name)
    {
        if (!result.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return ChannelPatterns.None;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return new ChannelPatterns([value.GetString()!]);
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxPatterns || value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
        {
            return null;
        }

        return new ChannelPatterns(value.EnumerateArray().Select(item => item.GetString()!));
    }

    private static IReadOnlyList<string>? ReadChannels(JsonElement result)
    {
        if (!result.TryGetProperty("channels", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxPatterns || value.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String || !ChannelName.IsValid(item.GetString())))
        {
            return null;
        }

        return [.. value.EnumerateArray().Select(item => item.GetString()!).Distinct(StringComparer.Ordinal)];
    }
}
