using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Broadcast.Testing;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port, without persistence, that tests can
/// stop and start again on the same port (an outage; a restart that loses every key), or stall.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly string? _dataDirectory;
    private readonly IReadOnlyList<string> _arguments;
    private Process? _process;

    private RedisServer(int port, string? dataDirectory, IReadOnlyList<string> arguments)
    {
        Port = port;
        _dataDirectory = dataDirectory;
        _arguments = arguments;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <param name="persistent">Keep data across restarts (append-only file, fsync on every write), as a production Redis would.</param>
    /// <param name="arguments">More redis-server arguments (a cluster node's, say), kept for every restart.</param>
    /// <param name="port">The port, or 0 for a free one.</param>
    public static async Task<RedisServer> StartAsync(bool persistent = false, IReadOnlyList<string>? arguments = null, int port = 0)
    {
        var server = new RedisServer(port == 0 ? FreePort() : port, persistent ? Directory.CreateTempSubdirectory("broadcast-redis-").FullName : null, arguments ?? []);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>True while the process runs (neither killed nor exited).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the server (again) on the same port, empty.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = _dataDirectory is null
            ? ["--save", "", "--appendonly", "no"]
            : ["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", _dataDirectory];
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--protected-mode", "no", "--daemonize", "no" }.Concat(persistence).Concat(_arguments))
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start; is it installed (apt-get install redis-server)?");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        await Eventually.TrueAsync(
            async () => process.HasExited
                // Its port (or a cluster node's bus port) was taken meanwhile: whatever answers there is not this server.
                ? throw new InvalidOperationException($"redis-server on port {Port} exited at start (code {process.ExitCode}).")
                : await PingsAsync(),
            TimeSpan.FromSeconds(20),
            $"redis-server to answer on port {Port}");
    }

    /// <summary>Kills the server at once, as a crash or a network cut would look to its clients.</summary>
    public Task StopAsync() => KillAsync();

    /// <summary>
    /// <c>kill -9</c>: the server dies at once; its clients see their connections reset. It can be
    /// started again on the same port with <see cref="StartAgainAsync"/>.
    /// </summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Signal(process, SigKill);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// <c>kill -STOP</c>: a stall (a long fork, swapping, a paused VM). The process and its sockets stay,
    /// the kernel still accepts connections, but nothing is answered until <see cref="Resume"/>.
    /// </summary>
    public void Pause() => Signal(_process ?? throw new InvalidOperationException("redis-server is not running."), SigStop);

    /// <summary><c>kill -CONT</c>: the stalled server carries on with everything it was sent meanwhile.</summary>
    public void Resume() => Signal(_process ?? throw new InvalidOperationException("redis-server is not running."), SigCont);

    private static void Signal(Process process, int signal)
    {
        if (SendSignal(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} failed (errno {Marshal.GetLastWin32Error()}).");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Runs <c>redis-cli -p PORT args…</c> against this server; returns what it printed.</summary>
    public Task<string> CliAsync(params string[] args) => RedisCli.RunAsync(Port, args);

    /// <summary>A free port whose cluster bus port (the port + 10000) is free too.</summary>
    internal static int FreeClusterPort()
    {
        while (true)
        {
            var port = FreePort();
            if (port + 10000 > IPEndPoint.MaxPort)
            {
                continue;
            }

            try
            {
                using var bus = new TcpListener(IPAddress.Loopback, port + 10000);
                bus.Start();
                bus.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
