namespace Broadcast.Server.Backend.Webhooks;

/// <summary>The <c>type</c> of every webhook event (docs/integration.md).</summary>
public static class WebhookEventTypes
{
    public const string ChannelOccupied = "channel_occupied";
    public const string ChannelVacated = "channel_vacated";
    public const string PresenceJoin = "presence_join";
    public const string PresenceLeave = "presence_leave";
    public const string Publication = "publication";

    /// <summary>The types <c>Broadcast:Webhooks:Events</c> may name (publications are chosen by channel instead).</summary>
    public static readonly IReadOnlyList<string> Lifecycle = [ChannelOccupied, ChannelVacated, PresenceJoin, PresenceLeave];

    public static IReadOnlySet<string> Parse(string list) =>
        list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
}
