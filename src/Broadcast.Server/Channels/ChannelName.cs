namespace Broadcast.Server.Channels;

/// <summary>Channel names: 1-128 characters of <c>A-Z a-z 0-9 _ - . : @ /</c>, so they are safe in logs, URLs and Redis keys.</summary>
public static class ChannelName
{
    public const int MaxLength = 128;

    /// <summary>The channel legacy clients publish to and receive from.</summary>
    public const string Default = "events";

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '@' or '/'))
            {
                return false;
            }
        }

        return true;
    }
}
