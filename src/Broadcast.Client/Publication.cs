using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Broadcast.Client;

/// <summary>One message on a channel, at its position (<paramref name="Epoch"/>, <paramref name="Offset"/>).</summary>
/// <param name="Channel">The channel it was published on.</param>
/// <param name="Offset">Its offset: 1, 2, 3, … in the order the channel accepted publications.</param>
/// <param name="Epoch">The channel's epoch; it changes when the channel's history was lost.</param>
/// <param name="Origin">The public id of the publisher's session (<c>http</c> for the HTTP API).</param>
/// <param name="Timestamp">When the server accepted it.</param>
/// <param name="Message">
/// The payload as text: the message itself; for <see cref="PayloadKind.Data"/> the data's JSON text; for
/// <see cref="PayloadKind.Bytes"/> their base64 (what a legacy client sees), so code that shows text keeps working.
/// </param>
public sealed record Publication(string Channel, long Offset, string Epoch, string Origin, DateTimeOffset Timestamp, string Message)
{
    /// <summary>Which payload it carries.</summary>
    public PayloadKind Kind { get; init; }

    /// <summary>The JSON value of a <see cref="PayloadKind.Data"/> publication, as the publisher wrote it.</summary>
    public JsonElement? Data { get; init; }

    /// <summary>The bytes of a <see cref="PayloadKind.Bytes"/> publication.</summary>
    public byte[]? Bytes { get; init; }

    /// <summary>
    /// The payload as a <typeparamref name="T"/>, read with <paramref name="typeInfo"/> (a source-generated context's, say):
    /// the data, the message as a JSON string (so <c>string</c> reads it), or the bytes as a base64 string (so
    /// <c>byte[]</c> reads them).
    /// </summary>
    /// <exception cref="JsonException">The payload is not a <typeparamref name="T"/>.</exception>
    public T? As<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Kind == PayloadKind.Data && Data is { } data ? data.Deserialize(typeInfo) : JsonSerializer.Deserialize(JsonSerializer.SerializeToElement(Message), typeInfo);
    }

    /// <summary>The payload as a <typeparamref name="T"/> with reflection-based <paramref name="options"/> (<see cref="JsonSerializerOptions.Web"/> when null).</summary>
    public T? As<T>(JsonSerializerOptions? options = null) => As((JsonTypeInfo<T>)(options ?? JsonSerializerOptions.Web).GetTypeInfo(typeof(T)));
}
