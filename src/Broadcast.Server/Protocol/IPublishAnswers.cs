using Broadcast.Server.Connections;
using Broadcast.Server.Engines;

namespace Broadcast.Server.Protocol;

/// <summary>How one dialect answers a publish, in its own frames; the <see cref="PublishGate"/> decides when.</summary>
public interface IPublishAnswers
{
    /// <summary>The publish was refused or failed (<paramref name="error"/>): nothing was published, unless the error is <c>publish_unknown</c>.</summary>
    void Refuse(ClientSession session, string channel, string? id, ProtocolError error);

    /// <summary>The publish landed at <paramref name="result"/> (or was a duplicate of an earlier one).</summary>
    void Accept(ClientSession session, string channel, string? id, PublishResult result);
}
