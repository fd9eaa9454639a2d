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
    /// delivery for good: every failure is logged, counted, and ends in a catch-up. When the channel's epoch
    /// changed (Redis lost it), the listener says so once and delivers the new epoch from its start, as far as
    /// its history still holds it: only what is really gone is announced (issue #12, finding 4).
    /// </remarks>
    private sealed class ChannelListener
    {
        private readonly RedisEngine _engine;
        private readonly string _channel;
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly CancellationTokenSource _stopped = new();
        private readonly RecentDeliveries _recent = new();
        private ChannelMessageQueue? _queue;
        private string? _epoch;
        private long _lastOffset;

        /// <summary>Under the gate: a catch-up is due, which reads from the stream what pub/sub brings meanwhile.</summary>
        private bool _behind;

        /// <summary>0: no catch-up; 1: one is running; 2: one is running and was asked for again meanwhile.</summary>
        private int _catchUpState;

        public ChannelListener(RedisEngine engine, RedisShard shard, string channel)
        {
            _engine = engine;
            Shard = shard;
            _channel = channel;
        }

        public RedisShard Shard { get; }

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
                    await queue.UnsubscribeAsync().WaitAsync(_engine._options.OperationTimeout);
                }
                catch (Exception ex) when (RedisShard.IsRedisFailure(ex))
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
                if (!await _engine._retry.RunAsync("catch_up", CatchUpAsync, _stopped.Token))
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
                    case 'P' or 'D' or 'B':
                        await DeliverAsync(RedisEntries.ParseMessage(_channel, bytes));
                        break;
                    case 'J':
                    case 'L':
                        var member = DeserializeMember(Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1));
                        _engine._hub.DeliverPresence(_channel, joined: bytes[0] == 'J', member);
                        break;
                }
            }
            catch (Exception ex) when (ex is FormatException or JsonException or IndexOutOfRangeException or ArgumentException)
            {
                LogGapNotFilled(_engine._logger, _channel, _lastOffset, "unreadable pub/sub message: " + ex.Message);
            }
            catch (Exception ex)
            {
                // Anything else: logged and counted, and whatever this message carried is read from the stream.
                _engine._retry.Failed("pubsub_message", ex);
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

                // Before the first delivery, the epoch this node last saw (its subscribers read it): one other
                // than that on the first publication is a change too.
                var previous = _epoch ?? NullIfEmpty(_engine._marks.Of(_channel).Epoch);
                if (previous is not null && previous != publication.Epoch)
                {
                    await EnterNewEpochOrFallBehindAsync();
                    if (!_behind && _epoch == publication.Epoch && publication.Offset > _lastOffset)
                    {
                        // Published after the history read (it would have been in it otherwise).
                        Deliver(publication);
                    }

                    return;
                }

                if (_epoch == publication.Epoch)
                {
                    if (publication.Offset <= _lastOffset)
                    {
                        if (_recent.IsReuse(publication))
                        {
                            // An offset delivered before, with other content: the stream went backwards in a
                            // failover and a node that had not seen the lost publications published again.
                            await ReplaceReusedEpochAsync(publication.Epoch);
                        }

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
                            FallBehind(ex, "gap_fill");
                            return;
                        }

                        if (_epoch != publication.Epoch || publication.Offset <= _lastOffset)
                        {
                            // The fill found a new epoch (and delivered it), or delivered this one already.
                            return;
                        }
                    }
                }

                Deliver(publication);
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task EnterNewEpochOrFallBehindAsync()
        {
            try
            {
                await EnterNewEpochAsync();
            }
            catch (Exception ex)
            {
                FallBehind(ex, "epoch_change");
            }
        }

        /// <summary>Under the gate: makes the channel leave the epoch whose offsets were handed out twice, then delivers the new one.</summary>
        private async Task ReplaceReusedEpochAsync(string reusedEpoch)
        {
            try
            {
                await _engine.StartNewEpochAsync(_channel, reusedEpoch);
                await EnterNewEpochAsync();
            }
            catch (Exception ex)
            {
                // The catch-up reads the stream again: its position is then below this node's mark, which starts the new epoch too.
                FallBehind(ex, "epoch_change");
            }
        }

        /// <summary>Under the gate: the stream cannot be read now; deliver nothing more from pub/sub until a catch-up did.</summary>
        private void FallBehind(Exception ex, string task)
        {
            LogGapNotFilled(_engine._logger, _channel, _lastOffset, ex.Message + "; catching up when Redis answers");
            _engine._retry.Failed(task, ex);
            _behind = true;
            RequestCatchUp();
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
            var limit = (int)Math.Min(HistoryLimit, through - _lastOffset);
            var history = await _engine.ReadHistoryAsync(_channel, _lastOffset, limit, keep: true);
            if (history.Position.Epoch != _epoch)
            {
                await EnterNewEpochAsync();
                return;
            }

            if (history.Truncated)
            {
                LogGapNotFilled(_engine._logger, _channel, _lastOffset, "no longer in history");
                var gone = history.Publications.Count > 0 ? history.Publications[0].Offset - 1 : history.Position.Offset;
                _engine._hub.DeliverUnrecoverable(_channel, new StreamPosition(history.Position.Epoch, gone));
                _lastOffset = Math.Max(_lastOffset, gone);
            }

            foreach (var publication in history.Publications)
            {
                if (publication.Offset > _lastOffset && publication.Offset <= through)
                {
                    Deliver(publication);
                }
            }
        }

        /// <summary>
        /// Redis lost the channel (a restart without its data, FLUSHALL, eviction, a failover that went
        /// backwards): whatever followed the last delivered offset of the old epoch is gone, and is announced
        /// once; everything of the new epoch still in history is delivered, from its start. Under the gate.
        /// </summary>
        private async Task EnterNewEpochAsync()
        {
            var history = await _engine.ReadHistoryAsync(_channel, 0, HistoryLimit, keep: true);
            var firstKept = history.Publications.Count > 0 ? history.Publications[0].Offset : history.Position.Offset + 1;
            LogEpochChanged(_engine._logger, _channel, _epoch, history.Position.Epoch);
            _engine._hub.DeliverUnrecoverable(_channel, new StreamPosition(history.Position.Epoch, firstKept - 1));
            _epoch = history.Position.Epoch;
            _lastOffset = firstKept - 1;
            foreach (var publication in history.Publications)
            {
                Deliver(publication);
            }

            _lastOffset = Math.Max(_lastOffset, history.Position.Offset);
        }

        private static string? NullIfEmpty(string epoch) => epoch.Length == 0 ? null : epoch;

        private int HistoryLimit => Math.Max(_engine._channelOptions.HistorySize, 1);

        private void Deliver(Publication publication)
        {
            _recent.Add(publication);
            _engine._hub.DeliverPublication(publication);
            _epoch = publication.Epoch;
            _lastOffset = publication.Offset;
            _engine._marks.Observe(_channel, new StreamPosition(publication.Epoch, publication.Offset));
        }
    }
}
