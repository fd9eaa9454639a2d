using System.Text.Json;
using System.Text.Json.Nodes;
using Broadcast.Server.Protocol;
using Broadcast.Server.Protocol.MessagePack;
using Broadcast.Server.Protocol.V2;
using CsCheck;
using MessagePack;

namespace Broadcast.Server.Tests.Payloads;

/// <summary>
/// Property tests of the MessagePack reading and writing: random and mutated frames never crash the reader (they
/// become a request or <c>invalid_msgpack</c>), and JSON values survive JSON → MessagePack → JSON with their value.
/// </summary>
public sealed class MessagePackPropertyTests
{
    private static readonly byte[][] Seeds =
    [
        MessagePackSerializer.ConvertFromJson("""{"type":"publish","id":"m1","channel":"room","data":{"a":[1,2.5,"x",null,true]}}"""),
        MessagePackSerializer.ConvertFromJson("""{"type":"subscribe","id":"s","channel":"a/b","since":{"epoch":"e","offset":3}}"""),
        MessagePackSerializer.ConvertFromJson("""{"type":"hello","session":"abcdefgh1234","name":"ana"}"""),
    ];

    private static readonly Gen<byte[]> Mutated =
        Gen.Select(Gen.OneOf(Seeds.Select(Gen.Const).ToArray()), Gen.Int[0, 200], Gen.Byte, Gen.Int[0, 3])
            .Select(t =>
            {
                var bytes = t.Item1.ToList();
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

    [Fact]
    public void Random_and_mutated_frames_never_crash_the_reader_and_give_JSON_the_parser_answers_with_known_codes()
    {
        Gen.OneOf(Gen.Byte.Array[0, 300], Mutated).Sample(frame =>
        {
            if (MessagePackToJson.TryConvert(frame) is not { } json)
            {
                return;
            }

            using var document = JsonDocument.Parse(json);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            if (ClientRequestParser.Parse(json).Error is { } error)
            {
                Assert.Contains(error, ProtocolErrors.All);
            }
        }, iter: 20_000);
    }

    private static readonly Gen<JsonNode?> Values = Gen.Recursive<JsonNode?>((depth, inner) => depth >= 4
        ? Gen.OneOf(Gen.Long.Select(v => (JsonNode?)JsonValue.Create(v)), Gen.String[Gen.Char.AlphaNumeric, 0, 8].Select(v => (JsonNode?)JsonValue.Create(v)), Gen.Const<JsonNode?>((JsonNode?)null))
        : Gen.OneOf(
            Gen.Long.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.Double.Where(double.IsFinite).Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.Bool.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.String[Gen.Char, 0, 12].Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.Const<JsonNode?>((JsonNode?)null),
            inner.Array[0, 4].Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())])),
            Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 6], inner).Array[0, 4].Select(pairs =>
            {
                var obj = new JsonObject();
                foreach (var (name, value) in pairs)
                {
                    obj[name] = value?.DeepClone();
                }

                return (JsonNode?)obj;
            })));

    [Fact]
    public void Any_JSON_value_keeps_its_value_through_MessagePack_and_back()
    {
        Values.Sample(value =>
        {
            var json = value?.ToJsonString() ?? "null";
            var frame = JsonToMessagePack.Frame(System.Text.Encoding.UTF8.GetBytes($$"""{"data":{{json}}}"""));
            var back = MessagePackToJson.TryConvert(frame);
            Assert.NotNull(back);
            var data = JsonNode.Parse(back)!["data"];
            Assert.True(JsonNode.DeepEquals(value, data) || NumbersAgree(value, data), $"{json} came back as {data?.ToJsonString() ?? "null"}");
        }, iter: 5_000);
    }

    /// <summary>Floats compare by value (2.0 and 2 are one number in JSON; a float keeps its fraction through MessagePack).</summary>
    private static bool NumbersAgree(JsonNode? expected, JsonNode? actual) => (expected, actual) switch
    {
        (JsonValue a, JsonValue b) when a.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number => a.GetValue<double>() == b.GetValue<double>(),
        (JsonArray a, JsonArray b) => a.Count == b.Count && a.Zip(b).All(p => JsonNode.DeepEquals(p.First, p.Second) || NumbersAgree(p.First, p.Second)),
        (JsonObject a, JsonObject b) => a.Count == b.Count && a.All(p => b.TryGetPropertyValue(p.Key, out var v) && (JsonNode.DeepEquals(p.Value, v) || NumbersAgree(p.Value, v))),
        _ => false,
    };
}
