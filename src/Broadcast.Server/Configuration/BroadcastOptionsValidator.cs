using Microsoft.Extensions.Options;

namespace Broadcast.Server.Configuration;

/// <summary>Rules that span several settings, which data annotations cannot express.</summary>
internal sealed class BroadcastOptionsValidator : IValidateOptions<BroadcastOptions>
{
    public ValidateOptionsResult Validate(string? name, BroadcastOptions options)
    {
        var failures = new List<string>();
        if (options.WebAppPath is { Length: > 0 } path && !Directory.Exists(path))
        {
            failures.Add($"{BroadcastOptions.SectionName}:{nameof(BroadcastOptions.WebAppPath)} points to '{path}', which is not a folder.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
