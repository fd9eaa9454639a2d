namespace Broadcast.Client.Tests.Unit;

/// <summary>A "random" source that always returns the same fraction, to make backoff delays exact.</summary>
internal sealed class FixedRandom(double fraction) : Random
{
    public override double NextDouble() => fraction;
}
