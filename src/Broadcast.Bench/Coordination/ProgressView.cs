using System.Diagnostics;
using System.Globalization;
using Broadcast.Bench.Cli;
using Broadcast.Bench.Load;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Broadcast.Bench.Coordination;

/// <summary>The live display: a table refreshed four times a second, or a plain line a second when not on a terminal.</summary>
public sealed class ProgressView(BenchOptions options, RunPlan plan, IReadOnlyList<WorkerProcess> workers, ServerProcess? server)
{
    private long _startTicks;
    private long _lastTicks = Stopwatch.GetTimestamp();
    private long _lastReceived;
    private double? _lastCpu;

    public void Started(long startTicks) => Volatile.Write(ref _startTicks, startTicks);

    public async Task ShowAsync(IAnsiConsole console, Task run)
    {
        if (options.NoLive || !console.Profile.Capabilities.Interactive)
        {
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(1000));
                var row = Snapshot();
                await Console.Error.WriteLineAsync(string.Join("  ", row.Select(c => $"{c.Name} {c.Value}")));
            }

            return;
        }

        await console.Live(Render(Snapshot())).AutoClear(false).StartAsync(async context =>
        {
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(250));
                context.UpdateTarget(Render(Snapshot()));
            }
        });
    }

    private IRenderable Render(List<(string Name, string Value)> row)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{options.Scenario}[/] → {Markup.Escape(options.Url.ToString())}");
        foreach (var (name, _) in row)
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        table.AddRow([.. row.Select(c => Markup.Escape(c.Value))]);
        return table;
    }

    private List<(string Name, string Value)> Snapshot()
    {
        long open = 0, connected = 0, sent = 0, received = 0;
        foreach (var worker in workers)
        {
            var p = worker.Progress;
            (open, connected, sent, received) = (open + p[0], connected + p[1], sent + p[2], received + p[3]);
        }

        var now = Stopwatch.GetTimestamp();
        var seconds = (now - _lastTicks) / (double)Stopwatch.Frequency;
        var rate = seconds > 0 ? (received - _lastReceived) / seconds : 0;
        var cpu = server?.CpuSeconds();
        var cpuPercent = cpu is { } c && _lastCpu is { } l && seconds > 0 ? (c - l) / seconds * 100 : (double?)null;
        (_lastTicks, _lastReceived, _lastCpu) = (now, received, cpu);
        var start = Volatile.Read(ref _startTicks);
        var phase = start == 0 ? "connecting" : now < plan.MeasureStartTicks ? "warm-up" : now < plan.ScheduleEndTicks ? "measuring" : "draining";
        var elapsed = start == 0 ? 0 : Math.Max(0, (now - start) / (double)Stopwatch.Frequency);
        return
        [
            ("phase", phase),
            ("time", elapsed.ToString("F1", CultureInfo.InvariantCulture) + " s"),
            ("connected", $"{connected:N0}/{options.Subscribers + (options.Scenario is Scenario.Fanout or Scenario.Idle ? plan.Publishers : 0):N0}"),
            ("open", open.ToString("N0", CultureInfo.InvariantCulture)),
            ("sent", sent.ToString("N0", CultureInfo.InvariantCulture)),
            ("received", received.ToString("N0", CultureInfo.InvariantCulture)),
            ("deliveries/s", rate.ToString("N0", CultureInfo.InvariantCulture)),
            ("server CPU", cpuPercent is { } pct ? pct.ToString("F0", CultureInfo.InvariantCulture) + " %" : "-"),
        ];
    }
}
