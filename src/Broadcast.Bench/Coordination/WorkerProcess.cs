using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Broadcast.Bench.Results;

namespace Broadcast.Bench.Coordination;

/// <summary>A load process the coordinator started: its control lines in, its progress and result out.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;

    private WorkerProcess(Process process)
    {
        _process = process;
        _reading = ReadAsync();
    }

    public Task Ready => _ready.Task;

    /// <summary>Latest PROGRESS: open connections, connected so far, sent, received.</summary>
    public long[] Progress { get; private set; } = [0, 0, 0, 0];

    public WorkerResult? Result { get; private set; }

    public static WorkerProcess Start(IReadOnlyList<string> args, int index)
    {
        var info = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath!,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(info.FileName) == "dotnet")
        {
            // Started as "dotnet Broadcast.Bench.dll": the host needs the assembly again.
            info.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--worker");
        info.ArgumentList.Add(index.ToString(CultureInfo.InvariantCulture));
        // Run socket continuations on the epoll thread: no thread-pool hop per read, which is most of
        // a lean receive loop's cost; the worker's handlers never block for long.
        info.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("Could not start a worker."));
    }

    public void Go(long startTicks) =>
        _process.StandardInput.WriteLine(FormattableString.Invariant($"GO {startTicks}"));

    /// <summary>Completes when the worker has exited and its output was read.</summary>
    public async Task CompletedAsync()
    {
        await _reading;
        await _process.WaitForExitAsync();
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "READY")
            {
                _ready.TrySetResult();
            }
            else if (line.StartsWith("PROGRESS ", StringComparison.Ordinal))
            {
                Progress = [.. line[9..].Split(' ').Select(v => long.Parse(v, CultureInfo.InvariantCulture))];
            }
            else if (line.StartsWith("RESULT ", StringComparison.Ordinal))
            {
                Result = JsonSerializer.Deserialize<WorkerResult>(line.AsSpan(7), JsonOptions.Default);
            }
        }

        _ready.TrySetException(new InvalidOperationException("A load process ended before it was ready (see its errors above)."));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
