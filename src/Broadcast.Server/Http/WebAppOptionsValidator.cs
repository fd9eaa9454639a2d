using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

/// <summary>A configured web app folder must exist: a typo would otherwise serve JSON where the app was expected.</summary>
internal sealed class WebAppOptionsValidator : IValidateOptions<WebAppOptions>
{
    public ValidateOptionsResult Validate(string? name, WebAppOptions options) =>
        options.WebAppPath is { Length: > 0 } path && !Directory.Exists(path)
            ? ValidateOptionsResult.Fail($"Broadcast:WebAppPath points to '{path}', which is not a folder.")
            : ValidateOptionsResult.Success;
}
