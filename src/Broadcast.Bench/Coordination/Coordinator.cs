using System.Diagnostics;
using System.Text.Json;
using Broadcast.Bench.Cli;
using Broadcast.Bench.Load;
using Broadcast.Bench.Results;
using Spectre.Console;

namespace Broadcast.Bench.Coordination;

/// <summary>
/// Starts the load processes, tells them when to begin, samples the server around the measured window,
/// shows progress and merges what the processes measured.
/// </summary>
public sealed class Coordinator(BenchOptions options, IReadOnlyList<string> args)
{
    // Time to let connections settle (queues allocated, GC done) before reading the server's memory.
    private static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    public async Task<int> RunAsync()
    {
        var console = CreateConsole();
        var server = options.ServerPid is { } pid ? new ServerProcess(pid) : null;
        var figures = server is null ? null : new ServerFigures { Pid = server.Pid, RssBeforeBytes = server.RssBytes() };
        var plan = new RunPlan(options);
        var workers = Enumerable.Range(0, options.Processes).Select(i => WorkerProcess.Start(args, i)).ToList();
        try
        {
            var view = new ProgressView(options, plan, workers, server);
            var run = RunWorkersAsync(plan, workers, server, figures, view);
            await view.ShowAsync(console, run);
            var results = await run;
            var merged = ResultMerger.Merge(options, plan, results);
            merged.Server = figures;
            var runSeconds = results.Max(r => r.RunSeconds);
            merged.LoadCpuPercent = runSeconds > 0 ? Math.Round(results.Sum(r => r.RunCpuSeconds) / runSeconds * 100, 1) : 0;
            Complete(merged, figures);
            SummaryTable.Write(console, merged);
            await WriteJsonAsync(merged);
            return Verdict(merged);
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    private async Task<List<WorkerResult>> RunWorkersAsync(RunPlan plan, List<WorkerProcess> workers, ServerProcess? server, ServerFigures? figures, ProgressView view)
    {
        await Task.WhenAll(workers.Select(w => w.Ready));
        if (options.Scenario == Scenario.Idle && server is not null)
        {
            await Task.Delay(SettleTime);
            figures!.RssConnectedBytes = server.RssBytes();
        }

        plan.StartTicks = Stopwatch.GetTimestamp() + RunPlan.Seconds(0.2);
        view.Started(plan.StartTicks);
        foreach (var worker in workers)
        {
            worker.Go(plan.StartTicks);
        }

        var measureFrom = TimeSpan.FromSeconds(Math.Max(0, (plan.MeasureStartTicks - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
        await Task.Delay(measureFrom);
        var cpuStart = server?.CpuSeconds();
        var cpuStartTicks = Stopwatch.GetTimestamp();
        await Task.WhenAll(workers.Select(w => w.CompletedAsync()));
        if (server is not null && figures is not null)
        {
            var cpuEnd = server.CpuSeconds();
            figures.CpuSeconds = cpuEnd - cpuStart;
            var seconds = (Stopwatch.GetTimestamp() - cpuStartTicks) / (double)Stopwatch.Frequency;
            figures.CpuPercent = figures.CpuSeconds is { } cpu ? Math.Round(cpu / seconds * 100, 1) : null;
            figures.RssEndBytes = server.RssBytes();
            figures.PeakRssBytes = server.PeakRssBytes();
        }

        return [.. workers.Select((w, i) => w.Result ?? throw new InvalidOperationException($"Load process {i} reported no result."))];
    }

    /// <summary>
    /// The exit code: 1 when a client got its own message back. Every other client must receive a message,
    /// never its sender, so one echo means the server broke the protocol, whatever the figures say.
    /// </summary>
    private static int Verdict(RunResult merged)
    {
        if (merged.OwnEchoes == 0)
        {
            return 0;
        }

        Console.Error.WriteLine($"FAILED: {merged.OwnEchoes} messages were echoed to the client that sent them (the sender must be excluded).");
        return 1;
    }

    private static void Complete(RunResult merged, ServerFigures? figures)
    {
        if (figures is null)
        {
            return;
        }

        if (figures.CpuSeconds is { } cpu && merged.Delivered > 0)
        {
            figures.CpuMicrosecondsPerDelivery = Math.Round(cpu * 1e6 / merged.Delivered, 3);
        }

        if (figures is { RssConnectedBytes: { } connected, RssBeforeBytes: { } before } && merged.Connections.Connected > 0)
        {
            figures.RssPerConnectionBytes = (connected - before) / merged.Connections.Connected;
        }
    }

    private IAnsiConsole CreateConsole()
    {
        // With --json, stdout carries only the JSON; everything for people goes to stderr.
        return options.Json
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
            : AnsiConsole.Console;
    }

    private async Task WriteJsonAsync(RunResult merged)
    {
        var json = JsonSerializer.Serialize(merged, JsonOptions.Indented);
        if (options.OutFile is { } path)
        {
            await File.WriteAllTextAsync(path, json + "\n");
        }

        if (options.Json)
        {
            await Console.Out.WriteLineAsync(json);
        }
    }
}
