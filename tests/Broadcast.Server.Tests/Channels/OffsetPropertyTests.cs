using System.Text;
using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using CsCheck;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Tests.Channels;

/// <summary>
/// Property tests of offsets against a model: per channel they count 1, 2, 3... with no gap, a retried
/// publish (same publisher, same id) gets its original offset and is stored once, and history after any
/// offset is exactly the retained publications after it, in order, with truncation reported.
/// </summary>
public sealed class OffsetPropertyTests
{
    private static readonly string[] ChannelNames = ["a", "b", "c"];
    private static readonly string[] Origins = ["session-one", "session-two"];

    /// <summary>Channel, publisher, and a message id from a small pool (so retries happen), or none.</summary>
    private static readonly Gen<(int Channel, int Origin, int? MessageId)> Publishes =
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1], Gen.Int[-1, 7], (c, o, m) => (c, o, m < 0 ? (int?)null : m));

    [Fact]
    public async Task Offsets_are_gapless_per_channel_retries_keep_theirs_and_history_matches_the_model()
    {
        await Gen.Select(Gen.Int[1, 30], Publishes.List[0, 80], Gen.Int[0, 100]).SampleAsync(async testCase =>
        {
            var (historySize, operations, sinceSeed) = testCase;
            var options = Options.Create(new StreamOptions { HistorySize = historySize });
            using var engine = new MemoryEngine(new ChannelHub(), TimeProvider.System, options, Options.Create(new MemoryEngineOptions()));

            var last = new Dictionary<string, long>();
            var byId = new Dictionary<(string, string, int), long>();
            var messages = new Dictionary<(string, long), string>();
            for (var i = 0; i < operations.Count; i++)
            {
                var (c, o, id) = operations[i];
                var channel = ChannelNames[c];
                var text = $"op{i}";
                var result = await engine.PublishAsync(channel, Origins[o], id?.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetBytes(text), CancellationToken.None);
                if (id is { } messageId && byId.TryGetValue((channel, Origins[o], messageId), out var original))
                {
                    Assert.True(result.Duplicate);
                    Assert.Equal(original, result.Position.Offset);
                }
                else
                {
                    var expected = last.GetValueOrDefault(channel) + 1;
                    Assert.False(result.Duplicate);
                    Assert.Equal(expected, result.Position.Offset);
                    last[channel] = expected;
                    messages[(channel, expected)] = text;
                    if (id is { } newId)
                    {
                        byId[(channel, Origins[o], newId)] = expected;
                    }
                }
            }

            foreach (var channel in ChannelNames)
            {
                var top = last.GetValueOrDefault(channel);
                var since = top == 0 ? 0 : sinceSeed % (top + 1);
                var history = await engine.ReadHistoryAsync(channel, since, limit: 1000, CancellationToken.None);
                var firstRetained = Math.Max(1, top - historySize + 1);
                var expectedOffsets = Enumerable.Range(0, (int)Math.Max(0, top - Math.Max(since + 1, firstRetained) + 1))
                    .Select(k => Math.Max(since + 1, firstRetained) + k).ToList();

                Assert.Equal(top, history.Position.Offset);
                Assert.Equal(expectedOffsets, history.Publications.Select(p => p.Offset));
                Assert.Equal(since + 1 < firstRetained && top > 0, history.Truncated);
                Assert.All(history.Publications, p => Assert.Equal(messages[(channel, p.Offset)], Encoding.UTF8.GetString(p.Payload.Bytes)));
                Assert.All(history.Publications, p => Assert.Equal(history.Position.Epoch, p.Epoch));
            }
        }, iter: 300);
    }
}
