using System.Globalization;
using Broadcast.Bench.Results;
using Spectre.Console;

namespace Broadcast.Bench.Coordination;

/// <summary>The table printed at the end of a run.</summary>
public static class SummaryTable
{
    public static void Write(IAnsiConsole console, RunResult r)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{r.Scenario}[/] ({r.Protocol}) {Markup.Escape(r.Label ?? "")}");
        table.AddColumn("figure");
        table.AddColumn(new TableColumn("value").RightAligned());
        var c = r.Connections;
        Add(table, "connections", $"{c.Connected:N0} of {c.Attempted:N0} ({c.Refused:N0} refused with 503, {c.Rejected:N0} rejected, {c.Failed:N0} failed)");
        Add(table, "connects/s, handshake p99", $"{c.ConnectsPerSecond:N0}/s, {c.HandshakeLatency.P99Ms:N1} ms");
        if (r.OfferedMessagesPerSecond > 0)
        {
            Add(table, "offered", $"{r.OfferedMessagesPerSecond:N0} msg/s x {r.MessageBytes} B = {r.OfferedDeliveriesPerSecond:N0} deliveries/s");
            Add(table, "delivered/s", r.DeliveredPerSecond.ToString("N0", CultureInfo.InvariantCulture));
            Add(table, "sent, expected, delivered", $"{r.Sent:N0}, {r.Expected:N0}, {r.Delivered:N0}");
            Add(table, "lost, duplicated, reordered", $"{r.Lost:N0}, {r.Duplicated:N0}, {r.Reordered:N0} ({r.SubscribersWithLoss:N0} subscribers lost some, at most {r.MaxLostBySubscriber:N0})");
            var l = r.Latency;
            Add(table, "latency p50 / p90 / p99 / p99.9 / max", $"{l.P50Ms:N2} / {l.P90Ms:N2} / {l.P99Ms:N2} / {l.P999Ms:N2} / {l.MaxMs:N2} ms");
        }

        if (c.ClosedDuringRun > 0 || r.ErrorFrames > 0 || r.Foreign > 0 || r.PublisherFellBehind)
        {
            Add(table, "[yellow]problems[/]", $"{c.ClosedDuringRun:N0} connections closed early, {r.ErrorFrames:N0} error frames, {r.Foreign:N0} foreign messages{(r.PublisherFellBehind ? ", publishing cut off (far behind schedule)" : "")}", escape: false);
        }

        if (r.OwnEchoes > 0)
        {
            Add(table, "[red]FAILED: own messages echoed[/]", $"{r.OwnEchoes:N0} messages came back to the client that sent them (the sender must be excluded)", escape: false);
        }

        if (r.Server is { } s)
        {
            Add(table, "server CPU", $"{s.CpuSeconds:N2} s ({s.CpuPercent:N0} % of a core), {s.CpuMicrosecondsPerDelivery:N3} µs per delivery");
            Add(table, "server RSS before / end / peak", $"{Mb(s.RssBeforeBytes)} / {Mb(s.RssEndBytes)} / {Mb(s.PeakRssBytes)} MB");
            if (s.RssPerConnectionBytes is { } perConnection)
            {
                Add(table, "server RSS per connection", $"{perConnection / 1024.0:N1} KB");
            }
        }

        Add(table, "load processes' CPU", $"{r.LoadCpuPercent:N0} % of a core ({r.Processes} process(es))");
        console.Write(table);
    }

    private static string Mb(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("N1", CultureInfo.InvariantCulture) : "-";

    private static void Add(Table table, string name, string value, bool escape = true) =>
        table.AddRow(escape ? Markup.Escape(name) : name, escape ? Markup.Escape(value) : value);
}
