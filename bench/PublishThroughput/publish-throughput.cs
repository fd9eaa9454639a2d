#:property PublishAot=false
// Closed-loop publish throughput of broadcast.v2 clients: each connection keeps up to --window publishes
// (with ids) in flight and counts the acks; the figure is acks per second over the measured window. It shows
// whether a server pipelines one client's publishes (many in flight on the engine at once) or answers them
// one engine round trip at a time. Run against a server started by bench/PublishThroughput/run.sh, or any:
//
//   dotnet run bench/PublishThroughput/publish-throughput.cs -- --url ws://127.0.0.1:8100/ws/events \
//       --connections 1 --window 64 --seconds 10
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

var url = new Uri(Arg("--url", "ws://127.0.0.1:8100/ws/events"));
var connections = int.Parse(Arg("--connections", "1"), System.Globalization.CultureInfo.InvariantCulture);
var window = int.Parse(Arg("--window", "64"), System.Globalization.CultureInfo.InvariantCulture);
var seconds = double.Parse(Arg("--seconds", "10"), System.Globalization.CultureInfo.InvariantCulture);
var warmup = double.Parse(Arg("--warmup", "2"), System.Globalization.CultureInfo.InvariantCulture);
var size = int.Parse(Arg("--size", "100"), System.Globalization.CultureInfo.InvariantCulture);
var channel = Arg("--channel", "throughput");

var message = new string('x', size);
using var stop = new CancellationTokenSource();
var clock = Stopwatch.StartNew();
var measureFrom = TimeSpan.FromSeconds(warmup);
var measureTo = measureFrom + TimeSpan.FromSeconds(seconds);
var counts = new long[connections];
var errors = new long[connections];
var tasks = Enumerable.Range(0, connections).Select(i => RunAsync(i)).ToArray();
await Task.WhenAll(tasks);
var acks = counts.Sum();
Console.WriteLine(FormattableString.Invariant(
    $"{connections} connection(s), window {window}, {size}-byte messages: {acks / seconds:F0} acked publishes/s over {seconds:F0} s (errors: {errors.Sum()})"));
return errors.Sum() == 0 ? 0 : 1;

async Task RunAsync(int index)
{
    using var socket = new ClientWebSocket();
    socket.Options.AddSubProtocol("broadcast.v2");
    await socket.ConnectAsync(url, CancellationToken.None);
    await SendAsync(socket, new { type = "hello" });
    var buffer = new byte[64 * 1024];
    await ReceiveAsync(socket, buffer); // welcome

    using var permits = new SemaphoreSlim(window, window);
    var receiving = Task.Run(async () =>
    {
        while (true)
        {
            var frame = await ReceiveAsync(socket, buffer);
            if (frame is null)
            {
                return;
            }

            using var document = JsonDocument.Parse(frame);
            var type = document.RootElement.GetProperty("type").GetString();
            if (type == "ack")
            {
                var elapsed = clock.Elapsed;
                if (elapsed >= measureFrom && elapsed < measureTo)
                {
                    counts[index]++;
                }

                permits.Release();
            }
            else if (type == "error")
            {
                errors[index]++;
                permits.Release();
            }

            if (clock.Elapsed >= measureTo)
            {
                return;
            }
        }
    });

    long sequence = 0;
    while (clock.Elapsed < measureTo)
    {
        if (!await permits.WaitAsync(TimeSpan.FromSeconds(5)))
        {
            break;
        }

        await SendAsync(socket, new { type = "publish", id = $"c{index}-{sequence++}", channel, message });
    }

    await receiving.WaitAsync(TimeSpan.FromSeconds(10));
    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
}

static async Task SendAsync(ClientWebSocket socket, object frame) =>
    await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

static async Task<byte[]?> ReceiveAsync(ClientWebSocket socket, byte[] buffer)
{
    var length = 0;
    while (true)
    {
        var result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
        if (result.MessageType == WebSocketMessageType.Close)
        {
            return null;
        }

        length += result.Count;
        if (result.EndOfMessage)
        {
            return buffer[..length];
        }
    }
}

string Arg(string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
