using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

public sealed partial class RedisEngine
{
    /// <summary>
    /// This node's pub/sub subscription to one channel. Messages are handled one at a time, in the order
    /// Redis published them (offset order). The listener remembers the last offset it delivered and, when
    /// a publication skips ahead, first reads the missing ones from the channel's stream, so a dropped
    /// pub/sub message never becomes a silent gap for subscribers.
    /// </summary>
    /// <remarks>
    /// When the stream cannot be read (Redis unreachable) the listener falls behind: it delivers nothing more
    /// from pub/sub and a catch-up, retried with backoff until Redis answers, delivers everything after the
    /// last delivered offset from the stream in order. Nothing here can throw into the Redis client or stop
    /// delivery for good: every failure is logged, counted, and ends in a catch-up.
    /// </remarks>
    private sealed class ChannelListener(RedisEngine engine, string channel)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly CancellationTokenSource _stopped = new();
        private ChannelMessageQueue? _queue;
        private string? _epoch;
        private long _lastOffset;

        /// <summary>Under the gate: a catch-up is due, which reads from the stream what pub/sub brings meanwhile.</summary>
        private bool _behind;

        /// <summary>0: no catch-up; 1: one is running; 2: one is running and was asked for again meanwhile.</summary>
        private int _catchUpState;

        public void Start(ChannelMessageQueue queue)
        {
            _queue = queue;
            queue.OnMessage(message => HandleAsync(message.Message));
        }

        public async Task StopAsync()
        {
            await CancelBackgroundWorkAsync();
            if (_queue is { } queue)
            {
                try
                {
                    // Bounded: the channel's gate is held meanwhile, and a stalled Redis may never answer.
                    await queue.UnsubscribeAsync().WaitAsync(engine._options.OperationTimeout);
                }
                catch (Exception ex) when (IsRedisFailure(ex))
                {
                    // The link is down: the subscription is gone with it.
                }
            }
        }

        /// <summary>Ends a catch-up that is running or retrying (the listener stops, or the engine is disposed).</summary>
        public Task CancelBackgroundWorkAsync() => _stopped.CancelAsync();

        /// <summary>
        /// Delivers, from the stream, whatever was published after the last delivered offset. A request that
        /// comes while one runs makes it run once more, so none is lost, and there is never more than one.
        /// </summary>
        public void RequestCatchUp()
        {
            while (true)
            {
                var state = Volatile.Read(ref _catchUpState);
                if (state == 2)
                {
                    return;
                }

                if (Interlocked.CompareExchange(ref _catchUpState, state + 1, state) == state)
                {
                    if (state == 0)
                    {
                        _ = Task.Run(CatchUpLoopAsync);
                    }

                    return;
                }
            }
        }

        private async Task CatchUpLoopAsync()
        {
            do
            {
                if (!await engine._retry.RunAsync("catch_up", CatchUpAsync, _stopped.Token))
                {
                    // The listener stopped.
                    Volatile.Write(ref _catchUpState, 0);
                    return;
                }
            }
            while (Interlocked.Decrement(ref _catchUpState) > 0);
        }

        private async Task HandleAsync(RedisValue message)
        {
            try
            {
                var bytes = (byte[])message!;
                switch (bytes.Length > 0 ? (char)bytes[0] : '\0')
                {
                    case 'P':
                        await DeliverAsync(ParsePublication(bytes));
                        break;
                    case 'J':
                    case 'L':
                        var member = DeserializeMember(Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1));
                        engine._hub.DeliverPresence(channel, joined: bytes[0] == 'J', member);
                        break;
                }
            }
            catch (Exception ex) when (ex is FormatException or JsonException or IndexOutOfRangeException or ArgumentException)
            {
                LogGapNotFilled(engine._logger, channel, _lastOffset, "unreadable pub/sub message: " + ex.Message);
            }
            catch (Exception ex)
            {
                // Anything else: logged and counted, and whatever this message carried is read from the stream.
                engine._retry.Failed("pubsub_message", ex);
                RequestCatchUp();
            }
        }

        private async Task DeliverAsync(Publication publication)
        {
            await _gate.WaitAsync();
            try
            {
                if (_behind)
                {
                    // The catch-up on its way reads this one from the stream, in order.
                    return;
                }

                if (_epoch == publication.Epoch)
                {
                    if (publication.Offset <= _lastOffset)
                    {
                        return;
                    }

                    if (publication.Offset > _lastOffset + 1)
                    {
                        try
                        {
                            await FillAsync(publication.Offset - 1);
                        }
                        catch (Exception ex)
                        {
                            // Delivering this one now would skip the gap for good: fall behind and catch up instead.
                            LogGapNotFilled(engine._logger, channel, _lastOffset, ex.Message + "; catching up when Redis answers");
                            engine._retry.Failed("gap_fill", ex);
                            _behind = true;
                            RequestCatchUp();
                            return;
                        }
                    }
                }
                else if (_epoch is not null)
                {
                    // Redis lost the channel (restart without persistence, eviction): whatever was
                    // published after our last offset in the old epoch is gone. Say so, never silently.
                    LogEpochChanged(engine._logger, channel, _epoch, publication.Epoch);
                    engine._hub.DeliverUnrecoverable(channel, new StreamPosition(publication.Epoch, publication.Offset - 1));
                }

                Deliver(publication);
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>After the pub/sub link came back, or after falling behind: deliver whatever was published meanwhile. Throws when the stream cannot be read.</summary>
        private async ValueTask CatchUpAsync(CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_epoch is not null)
                {
                    await FillAsync(long.MaxValue);
                }

                _behind = false;
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>
        /// Reads publications after the last delivered one (up to <paramref name="through"/>) from the stream and
        /// delivers them. Throws <see cref="EngineUnavailableException"/> when the stream cannot be read.
        /// </summary>
        private async Task FillAsync(long through)
        {
            var limit = (int)Math.Min(Math.Max(engine._channelOptions.HistorySize, 1), through - _lastOffset);
            var history = await engine.ReadHistoryAsync(channel, _lastOffset, limit, CancellationToken.None);
            if (history.Position.Epoch != _epoch || history.Truncated)
            {
                LogGapNotFilled(engine._logger, channel, _lastOffset, history.Truncated ? "no longer in history" : "history was lost");
                engine._hub.DeliverUnrecoverable(channel, history.Position);
                if (history.Position.Epoch != _epoch)
                {
                    // The next publication starts the new epoch; nothing of the old one can follow.
                    _epoch = history.Position.Epoch;
                    _lastOffset = history.Position.Offset;
                }
                else
                {
                    _lastOffset = Math.Max(_lastOffset, through == long.MaxValue ? history.Position.Offset : through);
                }

                return;
            }

            foreach (var publication in history.Publications)
            {
                if (publication.Offset > _lastOffset && publication.Offset <= through)
                {
                    Deliver(publication);
                }
            }
        }

        private void Deliver(Publication publication)
        {
            engine._hub.DeliverPublication(publication);
            _epoch = publication.Epoch;
            _lastOffset = publication.Offset;
        }

        /// <summary>Reads <c>P\n{epoch}\n{offset}\n{origin}\n{µs}\n{escaped message}</c>; the message has no raw newline (JSON escapes it).</summary>
        private Publication ParsePublication(byte[] bytes)
        {
            var span = bytes.AsSpan(2);
            var epoch = NextField(ref span);
            var offset = long.Parse(NextField(ref span), System.Globalization.CultureInfo.InvariantCulture);
            var origin = NextField(ref span);
            var micros = long.Parse(NextField(ref span), System.Globalization.CultureInfo.InvariantCulture);
            return new Publication(channel, epoch, offset, origin, FromMicroseconds(micros), span.ToArray());
        }

        private static string NextField(ref Span<byte> span)
        {
            var end = span.IndexOf((byte)'\n');
            if (end < 0)
            {
                throw new FormatException("truncated publication");
            }

            var field = Encoding.UTF8.GetString(span[..end]);
            span = span[(end + 1)..];
            return field;
        }
    }
}
