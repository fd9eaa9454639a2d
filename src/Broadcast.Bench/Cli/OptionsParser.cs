using System.Globalization;
using System.Net;
using Broadcast.Bench.Load;

namespace Broadcast.Bench.Cli;

/// <summary>
/// Hand-rolled <c>--name value</c> parsing: the option set is small and flat, and workers are started
/// with the coordinator's own arguments, so one parser serves both.
/// </summary>
public static class OptionsParser
{
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (i == 0)
                {
                    values["scenario"] = arg;
                    continue;
                }

                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }

            var name = arg[2..];
            if (name is "json" or "no-live" or "deflate")
            {
                flags.Add(name);
            }
            else if (i + 1 < args.Count)
            {
                values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"Option '{arg}' needs a value.");
            }
        }

        var options = new BenchOptions();
        if (values.Remove("scenario", out var scenario))
        {
            options.Scenario = ParseEnum<Scenario>("scenario", scenario);
        }

        ScenarioDefaults.Apply(options);
        foreach (var (name, value) in values)
        {
            Apply(options, name, value);
        }

        options.Json = flags.Contains("json");
        options.NoLive = flags.Contains("no-live");
        options.Deflate = flags.Contains("deflate");
        Validate(options);
        return options;
    }

    private static void Apply(BenchOptions options, string name, string value)
    {
        switch (name)
        {
            case "protocol": options.Protocol = ParseEnum<WireProtocol>(name, value); break;
            case "transport": options.Transport = ParseEnum<SubscriberTransport>(name, value.Replace("-", "", StringComparison.Ordinal)); break;
            case "url": options.Url = new Uri(value); break;
            case "subscribers" or "clients" or "connections": options.Subscribers = ParseInt(name, value); break;
            case "publishers": options.Publishers = ParseInt(name, value); break;
            case "rate": options.Rate = ParseDouble(name, value); break;
            case "size": options.MessageBytes = ParseInt(name, value); break;
            case "warmup": options.WarmupSeconds = ParseDouble(name, value); break;
            case "duration" or "hold": options.DurationSeconds = ParseDouble(name, value); break;
            case "drain": options.DrainSeconds = ParseDouble(name, value); break;
            case "processes": options.Processes = ParseInt(name, value); break;
            case "connect-concurrency": options.ConnectConcurrency = ParseInt(name, value); break;
            case "sources": options.Sources = ParseSources(value); break;
            case "channel": options.Channel = value; break;
            case "server-pid": options.ServerPid = ParseInt(name, value); break;
            case "out": options.OutFile = value; break;
            case "label": options.Label = value; break;
            case "worker": options.WorkerIndex = ParseInt(name, value); break;
            default: throw new ArgumentException($"Unknown option '--{name}'. Run with --help.");
        }
    }

    private static void Validate(BenchOptions options)
    {
        if (options.Subscribers < 0 || options.Publishers < 1 || options.Processes < 1 || options.ConnectConcurrency < 1)
        {
            throw new ArgumentException("--subscribers must be >= 0; --publishers, --processes and --connect-concurrency >= 1.");
        }

        if (options.Transport != SubscriberTransport.WebSocket && options.Protocol != WireProtocol.V2)
        {
            throw new ArgumentException("--transport http-stream and sse carry the extended protocol: add --protocol v2.");
        }

        if (options.MessageBytes < MessageText.MinimumLength)
        {
            throw new ArgumentException($"--size must be at least {MessageText.MinimumLength} bytes (the header the tool embeds).");
        }

        if (options.Rate < 0 || options.DurationSeconds < 0 || options.WarmupSeconds < 0)
        {
            throw new ArgumentException("--rate, --duration and --warmup must not be negative.");
        }
    }

    /// <summary>Accepts <c>127.0.0.2-127.0.0.9</c> (a range of the last octet) or a comma list.</summary>
    public static IReadOnlyList<IPAddress> ParseSources(string value)
    {
        var result = new List<IPAddress>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                result.Add(IPAddress.Parse(part));
                continue;
            }

            var first = IPAddress.Parse(part[..dash]).GetAddressBytes();
            var last = IPAddress.Parse(part[(dash + 1)..]).GetAddressBytes();
            for (int octet = first[3]; octet <= last[3]; octet++)
            {
                result.Add(new IPAddress([first[0], first[1], first[2], (byte)octet]));
            }
        }

        return result;
    }

    private static T ParseEnum<T>(string name, string value)
        where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed)
            ? parsed
            : throw new ArgumentException($"--{name}: '{value}' is not one of {string.Join(", ", Enum.GetNames<T>()).ToLowerInvariant()}.");

    private static int ParseInt(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new ArgumentException($"--{name}: '{value}' is not an integer.");

    private static double ParseDouble(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new ArgumentException($"--{name}: '{value}' is not a number.");
}
