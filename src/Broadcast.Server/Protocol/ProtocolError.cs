using System.Text;
using System.Text.Json;

namespace Broadcast.Server.Protocol;

/// <summary>
/// An error the server reports to a client as <c>{"error": text, "code": code}</c>.
/// The <c>code</c> is stable and machine-readable; the text may be reworded.
/// The frame is built once per error kind, so rejecting input allocates nothing.
/// </summary>
public sealed class ProtocolError
{
    private ProtocolError(string code, string text)
    {
        Code = code;
        Text = text;
        Frame = BuildFrame(code, text);
    }

    public string Code { get; }

    public string Text { get; }

    /// <summary>The serialized error frame, shared by every connection that gets it.</summary>
    public ReadOnlyMemory<byte> Frame { get; }

    internal static ProtocolError Define(string code, string text) => new(code, text);

    private static byte[] BuildFrame(string code, string text)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("error"u8, text);
            writer.WriteString("code"u8, code);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public override string ToString() => Encoding.UTF8.GetString(Frame.Span);
}
