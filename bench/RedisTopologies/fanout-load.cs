#:property PublishAot=false
// Acknowledged publications per second through a set of nodes: --publishers v2 connections each keep up to
// --window publishes (with ids) in flight on random channels out of --channels, and every channel has
// --subscribers subscriber connections; connections are spread over the nodes round-robin. Prints one line of
// acked publishes/s and deliveries/s over the measured window. Started by bench/RedisTopologies/run.sh.
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

var urls = Arg("--urls", "ws://127.0.0.1:8201/ws/events").Split(',').Select(u => new Uri(u)).ToArray();
var channels = Int("--channels", 1000);
var perChannel = Int("--subscribers", 10);
var publishers = Int("--publishers", 100);
var window = Int("--window", 4);
var seconds = double.Parse(Arg("--seconds", "15"), CultureInfo.InvariantCulture);
var warmup = double.Parse(Arg("--warmup", "3"), CultureInfo.InvariantCulture);
var nodePids = Pids("--node-pids");
var redisPids = Pids("--redis-pids");

long acks = 0, deliveries = 0, errors = 0;
var measuring = 0;
using var stop = new CancellationTokenSource();

// Subscribers first, all subscribed before any publication.
var subscribers = new List<ClientWebSocket>();
var receivers = new List<Task>();
for (var i = 0; i < channels * perChannel; i += 200)
{
    var batch = await Task.WhenAll(Enumerable.Range(i, Math.Min(200, (channels * perChannel) - i)).Select(async index =>
    {
        var socket = await ConnectAsync(urls[index % urls.Length]);
        await SendAsync(socket, $$"""{"type":"subscribe","id":"s","channel":"ch{{index % channels}}"}""");
        var buffer = new byte[16 * 1024];
        while (!(await ReceiveAsync(socket, buffer))!.Contains("\"subscribed\"", StringComparison.Ordinal))
        {
        }

        return socket;
    }));
    subscribers.AddRange(batch);
}

foreach (var socket in subscribers)
{
    receivers.Add(Task.Run(async () =>
    {
        var buffer = new byte[16 * 1024];
        while (await ReceiveAsync(socket, buffer) is { } frame)
        {
            if (Volatile.Read(ref measuring) == 1 && frame.Contains("\"pub\"", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref deliveries);
            }
        }
    }));
}

var publishing = Enumerable.Range(0, publishers).Select(p => Task.Run(() => PublishAsync(p))).ToArray();
await Task.Delay(TimeSpan.FromSeconds(warmup));
Volatile.Write(ref measuring, 1);
var nodeStart = nodePids.Sum(CpuSeconds);
var redisStart = redisPids.Select(CpuSeconds).ToArray();
await Task.Delay(TimeSpan.FromSeconds(seconds));
Volatile.Write(ref measuring, 0);
var nodeCpu = nodePids.Sum(CpuSeconds) - nodeStart;
var redisCpu = redisPids.Select((pid, i) => CpuSeconds(pid) - redisStart[i]).ToArray();
await stop.CancelAsync();
await Task.WhenAll(publishing);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"acked_per_s={acks / seconds:F0} deliveries_per_s={deliveries / seconds:F0} errors={errors} connections={subscribers.Count + publishers} node_cpu_us_per_publication={(acks == 0 ? 0 : nodeCpu * 1e6 / acks):F0} node_cpu_cores={nodeCpu / seconds:F2} redis_cpu_percent_each=[{string.Join(' ', redisCpu.Select(c => (c * 100 / seconds).ToString("F0", CultureInfo.InvariantCulture)))}]"));
foreach (var socket in subscribers)
{
    socket.Abort();
}

return 0;

async Task PublishAsync(int index)
{
    using var socket = await ConnectAsync(urls[index % urls.Length]);
    using var permits = new SemaphoreSlim(window, window);
    var random = new Random(index);
    var receiving = Task.Run(async () =>
    {
        var buffer = new byte[16 * 1024];
        while (await ReceiveAsync(socket, buffer) is { } frame)
        {
            if (frame.Contains("\"ack\"", StringComparison.Ordinal))
            {
                if (Volatile.Read(ref measuring) == 1)
                {
                    Interlocked.Increment(ref acks);
                }
            }
            else if (frame.Contains("\"error\"", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref errors);
            }

            permits.Release();
        }
    });
    var sequence = 0L;
    try
    {
        while (!stop.IsCancellationRequested)
        {
            await permits.WaitAsync(stop.Token);
            sequence++;
            await SendAsync(socket, $$"""{"type":"publish","id":"p{{index}}-{{sequence}}","channel":"ch{{random.Next(channels)}}","message":"payload of a publication, about 64 bytes long........"}""");
        }
    }
    catch (OperationCanceledException)
    {
    }

    socket.Abort();
    await receiving;
}

static async Task<ClientWebSocket> ConnectAsync(Uri url)
{
    var socket = new ClientWebSocket();
    socket.Options.AddSubProtocol("broadcast.v2");
    await socket.ConnectAsync(url, CancellationToken.None);
    await SendAsync(socket, """{"type":"hello"}""");
    await ReceiveAsync(socket, new byte[16 * 1024]); // welcome
    return socket;
}

static Task SendAsync(ClientWebSocket socket, string text) =>
    socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

static async Task<string?> ReceiveAsync(ClientWebSocket socket, byte[] buffer)
{
    try
    {
        var total = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(total), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            total += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(buffer, 0, total);
            }
        }
    }
    catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
    {
        return null;
    }
}

int[] Pids(string name) => [.. Arg(name, "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))];

// utime + stime of a process, in seconds (Linux /proc; clock ticks of 1/100 s).
static double CpuSeconds(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

int Int(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
