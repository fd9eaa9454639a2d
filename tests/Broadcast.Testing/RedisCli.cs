using System.Diagnostics;

namespace Broadcast.Testing;

/// <summary><c>redis-cli</c>, for what tests do to Redis from outside (cluster set-up, CLIENT KILL, FLUSHALL, DEBUG).</summary>
public static class RedisCli
{
    public static async Task<string> RunAsync(int port, params string[] args)
    {
        var info = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-h");
        info.ArgumentList.Add("127.0.0.1");
        info.ArgumentList.Add("-p");
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start; is it installed (apt-get install redis-tools)?");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (await output) + (await error);
    }
}
