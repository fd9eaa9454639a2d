namespace Broadcast.Server.Security;

/// <summary>
/// A set of channel patterns (what a token or anonymous access allows; which channels drop rather than disconnect). <c>*</c> matches any run of characters (also none), so <c>room:*</c> allows
/// <c>room:1</c> and <c>room:a/b</c>, and <c>*</c> alone allows every channel. Matching is case-sensitive,
/// as channel names are.
/// </summary>
public sealed class ChannelPatterns
{
    public static readonly ChannelPatterns None = new([]);

    private readonly string[] _patterns;

    public ChannelPatterns(IEnumerable<string> patterns)
    {
        _patterns = [.. patterns.Where(p => p.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> Patterns => _patterns;

    /// <summary>Parses a comma-separated list, as the anonymous patterns are configured.</summary>
    public static ChannelPatterns Parse(string? list) =>
        new((list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    public ChannelPatterns Union(ChannelPatterns other) => new([.. _patterns, .. other._patterns]);

    public bool Allows(string channel)
    {
        foreach (var pattern in _patterns)
        {
            if (Matches(pattern, channel))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Glob matching with <c>*</c> only, iterative with one backtrack point: linear in practice, never exponential.</summary>
    internal static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
