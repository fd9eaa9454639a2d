using System.Text.Json;

namespace Broadcast.Bench.Results;

/// <summary>One JSON shape for the worker protocol and the --json output: camelCase, compact.</summary>
public static class JsonOptions
{
    public static readonly JsonSerializerOptions Default = new(JsonSerializerDefaults.Web);

    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
