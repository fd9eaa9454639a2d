using System.Globalization;

namespace Broadcast.Bench.Coordination;

/// <summary>Reads the server's CPU time and memory from /proc, so any server process can be measured.</summary>
public sealed class ServerProcess(int pid)
{
    // USER_HZ: the unit of utime and stime in /proc/PID/stat; 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100;

    public int Pid { get; } = pid;

    /// <summary>User plus system CPU seconds of all the process's threads, or null if it is gone.</summary>
    public double? CpuSeconds()
    {
        var stat = Read("stat");
        if (stat is null)
        {
            return null;
        }

        // Fields after the command name, which may contain spaces, start with the state (field 3).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / ClockTicksPerSecond;
    }

    /// <summary>Resident set size in bytes (VmRSS), or null.</summary>
    public long? RssBytes() => StatusKilobytes("VmRSS:") * 1024;

    /// <summary>Peak resident set size in bytes (VmHWM), or null.</summary>
    public long? PeakRssBytes() => StatusKilobytes("VmHWM:") * 1024;

    private long? StatusKilobytes(string key)
    {
        var status = Read("status");
        var line = status?.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? null : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private string? Read(string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{Pid}/{file}");
        }
        catch (IOException)
        {
            return null;
        }
    }
}
