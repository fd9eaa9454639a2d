namespace Broadcast.Server.Security;

/// <summary>Why a fresh token was not taken.</summary>
public enum TokenRefusal
{
    /// <summary>It was taken.</summary>
    None,

    /// <summary>Not a valid, unexpired token (signature, issuer, audience, expiry).</summary>
    Invalid,

    /// <summary>It names a different user than the connection's.</summary>
    UserMismatch,
}
