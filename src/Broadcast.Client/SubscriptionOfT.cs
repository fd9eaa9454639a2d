using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;

namespace Broadcast.Client;

/// <summary>A publication's payload read as a <typeparamref name="T"/>, with the publication it came in.</summary>
public sealed record TypedPublication<T>(T? Value, Publication Publication);

/// <summary>
/// A <see cref="Broadcast.Client.Subscription"/> whose publications are read as <typeparamref name="T"/> (System.Text.Json,
/// with the type info it was made with). Same lifetime, order and resume as the subscription it wraps.
/// </summary>
public sealed class Subscription<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    internal Subscription(Subscription subscription, JsonTypeInfo<T> typeInfo)
    {
        Untyped = subscription;
        _typeInfo = typeInfo;
    }

    /// <summary>The untyped subscription (position, presence, unsubscribe).</summary>
    public Subscription Untyped { get; }

    /// <summary>The channel.</summary>
    public string Channel => Untyped.Channel;

    /// <summary>
    /// Publications of others, in offset order, each read as a <typeparamref name="T"/>. A payload that is not one
    /// throws <see cref="System.Text.Json.JsonException"/> here: validate what untrusted publishers send.
    /// </summary>
    public async IAsyncEnumerable<TypedPublication<T>> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var publication in Untyped.ReadAllAsync(cancellationToken))
        {
            yield return new TypedPublication<T>(publication.As(_typeInfo), publication);
        }
    }

    /// <summary>Ends the subscription.</summary>
    public Task UnsubscribeAsync(CancellationToken cancellationToken = default) => Untyped.UnsubscribeAsync(cancellationToken);
}
