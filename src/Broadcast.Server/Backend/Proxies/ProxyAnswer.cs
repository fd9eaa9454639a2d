using System.Text.Json;

namespace Broadcast.Server.Backend.Proxies;

/// <summary>One answer of the backend, read but not yet interpreted for its proxy kind.</summary>
internal sealed record ProxyAnswer(ProxyAnswerKind Kind, JsonElement Result, string? Code, string? Reason, int? CloseCode, string? Failure)
{
    /// <summary>The backend could not be asked: <paramref name="failure"/> is the metric's outcome (timeout, unreachable, error_status, invalid_answer).</summary>
    public static ProxyAnswer Failed(string failure) => new(ProxyAnswerKind.Failed, default, null, null, null, failure);

    /// <summary>Reads the backend's JSON; anything else than one of the three documented shapes is an invalid answer.</summary>
    public static ProxyAnswer Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Failed(InvalidAnswer);
            }

            if (root.TryGetProperty("error", out var error))
            {
                return error.ValueKind == JsonValueKind.Object
                    ? new ProxyAnswer(ProxyAnswerKind.Error, default, StringField(error, "code"), StringField(error, "message"), null, null)
                    : Failed(InvalidAnswer);
            }

            if (root.TryGetProperty("disconnect", out var disconnect))
            {
                return disconnect.ValueKind == JsonValueKind.Object
                    && disconnect.TryGetProperty("code", out var code) && code.TryGetInt32(out var closeCode) && closeCode is >= 4000 and <= 4999
                    ? new ProxyAnswer(ProxyAnswerKind.Disconnect, default, null, StringField(disconnect, "reason"), closeCode, null)
                    : Failed(InvalidAnswer);
            }

            if (root.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object)
            {
                return new ProxyAnswer(ProxyAnswerKind.Result, result.Clone(), null, null, null, null);
            }

            return Failed(InvalidAnswer);
        }
        catch (JsonException)
        {
            return Failed(InvalidAnswer);
        }
    }

    public const string InvalidAnswer = "invalid_answer";

    private static string? StringField(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
