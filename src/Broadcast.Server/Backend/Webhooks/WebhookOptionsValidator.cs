using Microsoft.Extensions.Options;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>What the data annotations cannot say: a usable URL, a secret with it, known event types, delays that fit together.</summary>
internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public const int MinSecretLength = 16;

    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var failures = new List<string>();
        var section = WebhookOptions.Section;
        if (options.Url is { Length: > 0 } url)
        {
            if (!(Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
            {
                failures.Add($"{section}:Url '{url}' is not an absolute http:// or https:// URL.");
            }

            if ((options.Secret?.Length ?? 0) < MinSecretLength)
            {
                failures.Add($"{section}:Secret must be set, at least {MinSecretLength} characters, when {section}:Url is: every request is signed with it.");
            }
        }

        foreach (var type in WebhookEventTypes.Parse(options.Events).Where(type => !WebhookEventTypes.Lifecycle.Contains(type)))
        {
            failures.Add($"{section}:Events: '{type}' is not one of {string.Join(", ", WebhookEventTypes.Lifecycle)} (publications are chosen with {section}:PublicationChannels).");
        }

        if (options.RetryMaxDelay < options.RetryDelay)
        {
            failures.Add($"{section}:RetryMaxDelay must be at least {section}:RetryDelay.");
        }

        if (options.ClaimIdle < 2 * (options.Timeout + options.MaxBatchWait))
        {
            failures.Add($"{section}:ClaimIdle must be at least twice {section}:Timeout + {section}:MaxBatchWait, or a node still delivering would have its events taken over.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
