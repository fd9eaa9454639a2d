using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Broadcast.Testing;

/// <summary>
/// Debian's nginx (<c>apt-get install nginx</c>) in front of local nodes, with deploy/nginx/nginx.conf as
/// shipped and only the addresses made local: a non-daemon child process with its own prefix (pid file,
/// temp files) in a temporary folder, listening on a loopback port.
/// </summary>
public sealed class NginxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _prefix;
    private readonly StringBuilder _output = new();

    private NginxProcess(Process process, string prefix, Uri baseAddress)
    {
        _process = process;
        _prefix = prefix;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public Uri WebSocketUri => new($"ws://{BaseAddress.Authority}/ws/events");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The folder holding Broadcast.slnx, found upward from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Broadcast.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Broadcast.slnx not found above " + AppContext.BaseDirectory);
    }

    public static async Task<NginxProcess> StartAsync(IReadOnlyList<Uri> nodes)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/sbin/nginx"))
        {
            throw new InvalidOperationException("nginx is not installed: apt-get install -y nginx (scripts/test.sh does).");
        }

        var config = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "nginx", "nginx.conf"));
        for (var i = 0; i < 3; i++)
        {
            config = Replace(config, $"server node{i + 1}:8000", $"server {nodes[i].Authority}");
        }

        var port = FreePort();
        config = Replace(config, "listen 8080;", $"listen 127.0.0.1:{port};");
        var prefix = Directory.CreateTempSubdirectory("broadcast-nginx-").FullName;
        // nginx's workers (nobody, when the test runs as root) must reach their temp folders under the prefix.
        File.SetUnixFileMode(prefix, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var configPath = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);

        var info = new ProcessStartInfo("/usr/sbin/nginx") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-p", prefix, "-c", configPath, "-g", "daemon off;" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var nginx = new NginxProcess(process, prefix, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => nginx.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => nginx.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = nginx.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.TrueAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("nginx exited:\n" + nginx.Output);
                }

                try
                {
                    using var ready = await http.GetAsync("/ready");
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            "nginx to answer /ready");
        return nginx;
    }

    private static string Replace(string config, string from, string to) =>
        config.Contains(from, StringComparison.Ordinal)
            ? config.Replace(from, to, StringComparison.Ordinal)
            : throw new InvalidOperationException($"deploy/nginx/nginx.conf no longer has '{from}'");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_prefix, recursive: true);
        }
        catch (IOException)
        {
            // A worker's file still held: the temp folder is left behind.
        }
    }
}
