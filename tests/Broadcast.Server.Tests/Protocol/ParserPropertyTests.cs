using System.Text;
using System.Text.Json;
using Broadcast.Server.Engines;
using Broadcast.Server.Protocol;
using Broadcast.Server.Protocol.Legacy;
using Broadcast.Server.Protocol.V2;
using CsCheck;

namespace Broadcast.Server.Tests.Protocol;

/// <summary>
/// Property tests of the protocol parsers: random bytes, random JSON and mutations of valid frames never
/// crash them, always yield either a message or an error with a code, and a message that is accepted
/// comes out of the broadcast frame exactly as it went in.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly string[] Seeds =
    [
        """{"message":"hello"}""",
        """{"message":"olá \"mundo\" \\ \u00e9 \ud83d\ude00","extra":[1,2,{"a":null}]}""",
        """{"type":"publish","id":"m1","channel":"room","message":"hi"}""",
        """{"type":"subscribe","id":"s","channel":"a/b:c","since":{"epoch":"e","offset":3},"presence":true}""",
        """{"type":"history","channel":"x","since":0,"limit":10}""",
        """{"type":"hello","session":"abcdefgh1234","name":"ana"}""",
    ];

    private static readonly Gen<byte[]> RandomBytes = Gen.Byte.Array[0, 300];

    private static readonly Gen<byte[]> MutatedFrames =
        Gen.Select(Gen.OneOf(Seeds), Gen.Int[0, 400], Gen.Byte, Gen.Int[0, 3])
            .Select(t =>
            {
                var bytes = Encoding.UTF8.GetBytes(t.Item1).ToList();
                var position = Math.Min(t.Item2, bytes.Count);
                switch (t.Item4)
                {
                    case 0 when bytes.Count > 0: bytes[Math.Min(position, bytes.Count - 1)] = t.Item3; break;
                    case 1: bytes.Insert(position, t.Item3); break;
                    case 2 when position < bytes.Count: bytes.RemoveAt(position); break;
                    default: bytes = bytes.Take(position).ToList(); break;
                }

                return bytes.ToArray();
            });

    private static readonly Gen<string> RandomMessages = Gen.String[Gen.Char, 1, 200];

    [Fact]
    public void The_legacy_parser_never_throws_and_always_answers_with_a_message_or_a_coded_error()
    {
        Gen.OneOf(RandomBytes, MutatedFrames).Sample(frame =>
        {
            var result = InboundMessageParser.Parse(frame);
            if (result.IsValid)
            {
                Assert.False(result.EscapedText.IsEmpty);
                // Whatever was accepted yields a broadcast frame that is valid JSON.
                using var document = JsonDocument.Parse(BroadcastFrame.Build(result.EscapedText, DateTime.UtcNow));
                Assert.Equal(JsonValueKind.String, document.RootElement.GetProperty("message").ValueKind);
            }
            else
            {
                Assert.Contains(result.Error!, ProtocolErrors.All);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void The_extended_parser_never_throws_and_reports_errors_with_known_codes()
    {
        Gen.OneOf(RandomBytes, MutatedFrames).Sample(frame =>
        {
            var request = ClientRequestParser.Parse(frame);
            if (request.Error is { } error)
            {
                Assert.Contains(error, ProtocolErrors.All);
            }

            if (request.Payload is { Kind: PayloadKind.Message, Bytes: var message })
            {
                using var document = JsonDocument.Parse((byte[])[(byte)'"', .. message, (byte)'"']);
                Assert.Equal(JsonValueKind.String, document.RootElement.ValueKind);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void Any_text_published_is_broadcast_unchanged()
    {
        RandomMessages.Sample(text =>
        {
            var frame = JsonSerializer.SerializeToUtf8Bytes(new { message = text });
            var result = InboundMessageParser.Parse(frame);
            if (!Encoding.UTF8.GetBytes(text).SequenceEqual(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)))))
            {
                return; // lone surrogates do not survive UTF-8 at all; not a parser matter
            }

            Assert.True(result.IsValid);
            using var document = JsonDocument.Parse(BroadcastFrame.Build(result.EscapedText, DateTime.UtcNow));
            Assert.Equal(text, document.RootElement.GetProperty("message").GetString());
        }, iter: 5_000);
    }

    [Fact]
    public void Parsing_a_frame_allocates_nothing_whatever_its_size()
    {
        var small = Encoding.UTF8.GetBytes("""{"message":"x"}""");
        var large = Encoding.UTF8.GetBytes("{\"message\":\"" + new string('y', 60_000) + "\",\"pad\":[1,2,3]}");
        var invalid = Encoding.UTF8.GetBytes("{\"message\": 12345, \"more\": \"" + new string('z', 60_000) + "\"}");
        foreach (var frame in new[] { small, large, invalid })
        {
            InboundMessageParser.Parse(frame);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                InboundMessageParser.Parse(frame);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
