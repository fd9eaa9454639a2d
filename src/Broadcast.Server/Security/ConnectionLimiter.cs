using System.Collections.Concurrent;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Admission control before the upgrade: at most <see cref="LimitsOptions.MaxConnections"/> in total
/// (503) and <see cref="LimitsOptions.MaxConnectionsPerAddress"/> per client address (429). The total
/// defaults to the process's open-file limit minus a reserve, so reaching it refuses newcomers cleanly
/// instead of failing accept() and logging errors for everyone.
/// </summary>
public sealed class ConnectionLimiter
{
    /// <summary>
    /// Descriptors kept free, beyond those already open when the limiter is created (the runtime keeps
    /// every loaded assembly open: about 190 at start, 250 once connections were served), for what opens
    /// later: assemblies loaded on first use, Redis, logs, and (a third of it) connections being refused.
    /// </summary>
    private const int DescriptorReserve = 384;

    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly int _perAddressLimit;
    private int _total;

    private readonly int _upgradesPerSecond;
    private readonly TimeProvider _clock;
    private readonly Lock _upgradeGate = new();
    private double _upgradeTokens;
    private long _upgradeTimestamp;

    public ConnectionLimiter(IOptions<LimitsOptions> options, TimeProvider clock)
    {
        var limits = options.Value;
        _clock = clock;
        _upgradesPerSecond = limits.MaxUpgradesPerSecond;
        _upgradeTokens = _upgradesPerSecond;
        _upgradeTimestamp = clock.GetTimestamp();
        MaxConnections = limits.MaxConnections > 0 ? limits.MaxConnections : Math.Max(16, OpenFileLimit() - OpenDescriptors() - DescriptorReserve);
        _perAddressLimit = limits.MaxConnectionsPerAddress;
    }

    /// <summary>The effective total limit.</summary>
    public int MaxConnections { get; }

    /// <summary>
    /// Connections Kestrel may hold at once (it closes any beyond at once, without reading them): room
    /// above <see cref="MaxConnections"/> for clients being refused with 503, and for plain HTTP requests,
    /// but still under the open-file limit. Without it a refusal storm at the limit used up the descriptor
    /// reserve with connections waiting for their 503, accept() failed, and the runtime, unable to open
    /// a descriptor of its own, stopped the process with "Out of memory".
    /// </summary>
    public int TransportLimit => MaxConnections + (DescriptorReserve / 3);

    public enum Admission
    {
        Admitted,
        NodeFull,
        AddressFull,
        TooManyUpgrades,
    }

    /// <summary>Takes a place for a new connection; <see cref="Release"/> gives it back when the connection ends.</summary>
    public Admission TryAdmit(IPAddress? address)
    {
        if (!TryTakeUpgrade())
        {
            return Admission.TooManyUpgrades;
        }

        if (Interlocked.Increment(ref _total) > MaxConnections)
        {
            Interlocked.Decrement(ref _total);
            return Admission.NodeFull;
        }

        if (_perAddressLimit > 0 && address is not null)
        {
            var count = _perAddress.AddOrUpdate(address, 1, static (_, n) => n + 1);
            if (count > _perAddressLimit)
            {
                ReleaseAddress(address);
                Interlocked.Decrement(ref _total);
                return Admission.AddressFull;
            }
        }

        return Admission.Admitted;
    }

    /// <summary>
    /// What <see cref="TryAdmit"/> would answer now, taking nothing: no place, no upgrade of the per-second
    /// budget (a check that spent them would refuse the upgrade it asks about).
    /// </summary>
    public Admission WouldAdmit(IPAddress? address)
    {
        if (!HasUpgradeToken())
        {
            return Admission.TooManyUpgrades;
        }

        if (Volatile.Read(ref _total) >= MaxConnections)
        {
            return Admission.NodeFull;
        }

        return _perAddressLimit > 0 && address is not null && _perAddress.TryGetValue(address, out var count) && count >= _perAddressLimit
            ? Admission.AddressFull
            : Admission.Admitted;
    }

    private bool HasUpgradeToken()
    {
        if (_upgradesPerSecond == 0)
        {
            return true;
        }

        lock (_upgradeGate)
        {
            var elapsed = _clock.GetTimestamp() - _upgradeTimestamp;
            return Math.Min(_upgradesPerSecond, _upgradeTokens + (elapsed * (double)_upgradesPerSecond / _clock.TimestampFrequency)) >= 1;
        }
    }

    /// <summary>One token of the upgrade bucket, refilled at MaxUpgradesPerSecond up to one second's worth.</summary>
    private bool TryTakeUpgrade()
    {
        if (_upgradesPerSecond == 0)
        {
            return true;
        }

        lock (_upgradeGate)
        {
            var now = _clock.GetTimestamp();
            _upgradeTokens = Math.Min(_upgradesPerSecond, _upgradeTokens + ((now - _upgradeTimestamp) * (double)_upgradesPerSecond / _clock.TimestampFrequency));
            _upgradeTimestamp = now;
            if (_upgradeTokens < 1)
            {
                return false;
            }

            _upgradeTokens -= 1;
            return true;
        }
    }

    public void Release(IPAddress? address)
    {
        Interlocked.Decrement(ref _total);
        if (_perAddressLimit > 0 && address is not null)
        {
            ReleaseAddress(address);
        }
    }

    private void ReleaseAddress(IPAddress address)
    {
        var remaining = _perAddress.AddOrUpdate(address, 0, static (_, n) => n - 1);
        if (remaining <= 0)
        {
            _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
        }
    }

    private static int OpenFileLimit()
    {
        try
        {
            if (OperatingSystem.IsLinux() && GetResourceLimit(7 /* RLIMIT_NOFILE */, out var limit) == 0)
            {
                return (int)Math.Min(limit.Current, int.MaxValue);
            }
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }

        return 65_536;
    }

    /// <summary>Descriptors the process holds now (Linux: the entries of /proc/self/fd); 0 where unknown.</summary>
    private static int OpenDescriptors()
    {
        try
        {
            return OperatingSystem.IsLinux() ? Directory.GetFiles("/proc/self/fd").Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit")]
    private static extern int GetResourceLimit(int resource, out ResourceLimit limit);
}
