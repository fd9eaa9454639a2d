namespace Broadcast.Server.Configuration;

/// <summary>One setting as an operator sees it: its key, environment variable, default and valid range.</summary>
/// <param name="ValidRange">What the code enforces; null where only docs/configuration.md can say it in words.</param>
public sealed record OptionInfo(string Key, string EnvironmentVariable, string Default, string? ValidRange)
{
    public static string EnvironmentVariableFor(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
