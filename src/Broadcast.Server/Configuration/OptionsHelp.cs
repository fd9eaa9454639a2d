using System.Reflection;

namespace Broadcast.Server.Configuration;

/// <summary>
/// <c>Broadcast.Server --help</c>: every setting with its environment variable, default and valid range
/// (from the code, <see cref="OptionsCatalog"/>) and its meaning (from docs/configuration.md, embedded at build time).
/// </summary>
public static class OptionsHelp
{
    public static bool IsRequested(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h" or "-?" or "/?");

    public static void Write(TextWriter output)
    {
        var meanings = ReadMeanings();
        output.WriteLine("WebSocket Broadcast Server");
        output.WriteLine();
        output.WriteLine("Usage: Broadcast.Server [--urls http://0.0.0.0:8000] [--Key=value ...]");
        output.WriteLine();
        output.WriteLine("Every setting can be given in appsettings.json, as an environment variable, or on the command");
        output.WriteLine("line as --Key=value (e.g. --Broadcast:MaxMessageBytes=131072). Invalid values stop start-up.");
        output.WriteLine("Full reference: docs/configuration.md.");
        output.WriteLine();
        output.WriteLine("Settings:");
        foreach (var option in OptionsCatalog.All)
        {
            output.WriteLine();
            output.WriteLine($"  {option.Key}");
            output.WriteLine($"      env {option.EnvironmentVariable}; default {option.Default}");
            var range = option.ValidRange ?? meanings.GetValueOrDefault(option.Key).Range;
            if (!string.IsNullOrEmpty(range))
            {
                output.WriteLine($"      valid: {range}");
            }

            if (meanings.GetValueOrDefault(option.Key).Meaning is { Length: > 0 } meaning)
            {
                output.WriteLine($"      {meaning}");
            }
        }
    }

    /// <summary>Reads the option tables of docs/configuration.md: <c>| `key` | `env` | `default` | range | meaning |</c>.</summary>
    internal static Dictionary<string, (string Range, string Meaning)> ReadMeanings()
    {
        var meanings = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("configuration.md");
        if (stream is null)
        {
            return meanings;
        }

        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            // A row splits into: "", key, env, default, range, meaning, "".
            if (cells.Length == 7 && cells[1].StartsWith('`'))
            {
                meanings[cells[1].Trim('`')] = (Plain(cells[4]), Plain(cells[5]));
            }
        }

        return meanings;
    }

    /// <summary>Markdown to terminal text: drops backticks and bold marks.</summary>
    private static string Plain(string markdown) => markdown.Replace("`", "", StringComparison.Ordinal).Replace("**", "", StringComparison.Ordinal);
}
