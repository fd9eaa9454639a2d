using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using Broadcast.Server.Connections;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.WebSockets;
using CsCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Broadcast.Server.Tests.Connections;

/// <summary>The services a connection needs, from a server that is built but never started.</summary>
public sealed class ConnectionServices : IAsyncDisposable
{
    private readonly WebApplication _app = BroadcastServer.Build(["--urls", "http://127.0.0.1:0"]);

    internal WebSocketTransport Transport => _app.Services.GetRequiredService<WebSocketTransport>();

    internal IClientDialect Dialect => _app.Services.GetRequiredService<ClientDialects>().Choose(["broadcast.v2"]);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>
/// Property tests of the connection registry and of a connection's outbound queue, against simple models:
/// a set of connections, and a bounded FIFO that closes its connection (1008) instead of growing.
/// </summary>
public sealed class ConnectionPropertyTests(ConnectionServices services) : IClassFixture<ConnectionServices>
{
    /// <summary>A stream that keeps what the server writes to it and never has anything to read.</summary>
    private sealed class CaptureStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);
    }

    private ClientSession NewConnection(long id, Stream stream, int capacity = 16)
    {
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var writer = services.Transport.CreateWriter(id, socket, output: null, remoteAddress: null, capacity);
        return new ClientSession(id, "node", writer, null, services.Dialect);
    }

    private static WebSocketWriter Writer(ClientSession connection) => (WebSocketWriter)connection.Frames;

    /// <summary>The frames a server wrote (unmasked, RFC 6455 section 5.2): opcode and payload.</summary>
    private static List<(int Opcode, byte[] Payload)> ParseFrames(byte[] bytes)
    {
        var frames = new List<(int, byte[])>();
        var position = 0;
        while (position < bytes.Length)
        {
            var opcode = bytes[position] & 0x0F;
            long length = bytes[position + 1] & 0x7F;
            position += 2;
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(position));
                position += 2;
            }
            else if (length == 127)
            {
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(position));
                position += 8;
            }

            frames.Add((opcode, bytes.AsSpan(position, (int)length).ToArray()));
            position += (int)length;
        }

        return frames;
    }

    [Fact]
    public void The_registry_holds_exactly_the_connections_added_and_not_removed()
    {
        // An operation adds a new connection (-1) or removes the n-th one ever added (which may be gone already).
        Gen.Int[-1, 30].List[0, 80].Sample(operations =>
        {
            var registry = new ConnectionRegistry();
            var everAdded = new List<ClientSession>();
            var model = new HashSet<long>();
            foreach (var operation in operations)
            {
                if (operation < 0 || operation >= everAdded.Count)
                {
                    var connection = NewConnection(registry.NextId(), Stream.Null);
                    Assert.DoesNotContain(connection.Id, everAdded.Select(c => c.Id));
                    everAdded.Add(connection);
                    registry.Add(connection);
                    model.Add(connection.Id);
                }
                else
                {
                    Assert.Equal(model.Remove(everAdded[operation].Id), registry.Remove(everAdded[operation]));
                }

                Assert.Equal(model.Count, registry.Count);
            }

            Assert.Equal(model.Order(), registry.All().Select(c => c.Id).Order());
            foreach (var connection in everAdded)
            {
                connection.DisposeResources();
            }
        }, iter: 500);
    }

    [Fact]
    public async Task Concurrent_adds_removes_and_enumerations_never_show_a_stranger_or_a_duplicate()
    {
        var registry = new ConnectionRegistry();
        var known = new System.Collections.Concurrent.ConcurrentDictionary<long, byte>();
        var survivors = new System.Collections.Concurrent.ConcurrentBag<long>();
        using var stop = new CancellationTokenSource();

        var churners = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            var mine = new List<ClientSession>();
            for (var i = 0; i < 5_000; i++)
            {
                if (mine.Count == 0 || random.Next(3) > 0)
                {
                    var connection = NewConnection(registry.NextId(), Stream.Null);
                    Assert.True(known.TryAdd(connection.Id, 0), "an id was handed out twice");
                    registry.Add(connection);
                    mine.Add(connection);
                }
                else
                {
                    var index = random.Next(mine.Count);
                    Assert.True(registry.Remove(mine[index]));
                    mine[index].DisposeResources();
                    mine.RemoveAt(index);
                }
            }

            foreach (var connection in mine)
            {
                survivors.Add(connection.Id);
            }
        })).ToArray();

        // Broadcasts enumerate while connections come and go.
        var enumerating = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var seen = new HashSet<long>();
                foreach (var connection in registry.All())
                {
                    Assert.True(seen.Add(connection.Id), "a connection was enumerated twice");
                    Assert.True(known.ContainsKey(connection.Id), "a connection that was never added was enumerated");
                }
            }
        });

        await Task.WhenAll(churners);
        await stop.CancelAsync();
        await enumerating;
        Assert.Equal(survivors.Order(), registry.All().Select(c => c.Id).Order());
        Assert.Equal(survivors.Count, registry.Count);
    }

    [Fact]
    public void The_outbound_queue_is_a_bounded_FIFO_that_refuses_frames_past_its_frame_or_byte_bound_instead_of_growing()
    {
        // Each operation queues a frame of some kind and size: live (a broadcast: counted in frames and
        // bytes), a reply (counted in bytes), or a replay (counted in bytes, never refused: its sender paces it).
        var operation = Gen.Select(Gen.Int[0, 2].Select(kind => (OutboundFrameKind)kind), Gen.Int[1, 40]);
        var cases = Gen.Select(Gen.Int[1, 12], Gen.Int[40, 200], operation.List[0, 40], Gen.Int[0, 40]);
        cases.Sample(testCase =>
        {
            var (capacity, byteCapacity, operations, takeAfter) = testCase;
            var queue = new OutboundQueue(capacity, byteCapacity);
            var accepted = new List<string>();
            var taken = new List<string>();
            var live = 0;
            long bytes = 0;
            for (var i = 0; i < operations.Count; i++)
            {
                if (i == takeAfter)
                {
                    // The writer catching up in the middle frees the room its frames held.
                    taken.AddRange(Take(queue));
                    live = 0;
                    bytes = 0;
                }

                var (kind, size) = operations[i];
                var text = $"{i}:".PadRight(size, 'x');
                var frame = new OutboundFrame(Encoding.UTF8.GetBytes(text), kind);
                var result = queue.TryAdd(frame, out var dropped);
                Assert.Equal(0, dropped);

                // A frame always fits an empty queue (bytes); otherwise the bounds hold.
                var overBytes = bytes > 0 && bytes + text.Length > byteCapacity;
                var refused = kind switch
                {
                    OutboundFrameKind.Live => live >= capacity || overBytes,
                    OutboundFrameKind.Control => overBytes,
                    _ => false,
                };
                if (refused)
                {
                    // A full queue grows no further: the caller closes the slow consumer instead.
                    Assert.Equal(OutboundQueue.AddResult.Overflow, result);
                    continue;
                }

                Assert.Equal(OutboundQueue.AddResult.Queued, result);
                live += kind == OutboundFrameKind.Live ? 1 : 0;
                bytes += text.Length;
                accepted.Add(text);
                Assert.Equal(live, queue.LiveCount);
                Assert.Equal(bytes, queue.Bytes);
            }

            Assert.Equal(0, queue.Complete(discardPending: false));
            Assert.Equal(OutboundQueue.AddResult.Closed, queue.TryAdd(new OutboundFrame(new byte[1], OutboundFrameKind.Live), out _));
            taken.AddRange(Take(queue));

            // Everything accepted, exactly once, in the order it was queued.
            Assert.Equal(accepted, taken);
            Assert.Equal(0, queue.Bytes);
            Assert.Equal(OutboundQueue.QueueState.Finished, queue.State);
        }, iter: 300);
    }

    [Fact]
    public async Task A_connection_writes_what_it_queued_in_order_and_then_its_close()
    {
        var cases = Gen.Int[0, 16];
        await cases.SampleAsync(async count =>
        {
            using var stream = new CaptureStream();
            var connection = NewConnection(1, stream, capacity: 16);
            var accepted = new List<string>();
            for (var i = 0; i < count; i++)
            {
                var text = $"frame {i}";
                Assert.True(i % 2 == 0
                    ? connection.Frames.EnqueueLive(Encoding.UTF8.GetBytes(text), 0, source: null)
                    : connection.Frames.EnqueueReplay(Encoding.UTF8.GetBytes(text), 0, source: null));
                accepted.Add(text);
            }

            connection.Frames.RequestClose(new CloseRequest(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", DrainFirst: true, TimeSpan.FromMinutes(1)));
            await Writer(connection).RunWriterAsync().WaitAsync(TimeSpan.FromSeconds(30));
            connection.DisposeResources();

            var frames = ParseFrames(stream.ToArray());
            var close = frames[^1];
            Assert.Equal(0x8, close.Opcode);
            Assert.Equal(1001, BinaryPrimitives.ReadUInt16BigEndian(close.Payload));
            Assert.Equal(accepted, frames.SkipLast(1).Select(f => Encoding.UTF8.GetString(f.Payload)));
        }, iter: 100);
    }

    private static List<string> Take(OutboundQueue queue)
    {
        var frames = new List<OutboundFrame>();
        var batch = new FrameBatch([], frames);
        queue.TakeInto(ref batch, int.MaxValue);
        return [.. frames.Select(f => Encoding.UTF8.GetString(f.Bytes.Span))];
    }
}
