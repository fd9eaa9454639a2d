using System.Runtime.CompilerServices;

namespace Broadcast.Server;

/// <summary>
/// Marks the methods every delivery runs through (fan-out into the queues, the flush round, framing, the send):
/// <c>[MethodImpl(HotPath.Compile)]</c> compiles them fully optimized on their first call instead of starting as
/// unoptimized (tier-0) code and then instrumented code that tiered compilation replaces only later.
/// </summary>
/// <remarks>
/// Why: on a busy core the background tier-up of these methods waited for seconds. A profile of the server at
/// 500 subscribers x 2,000 msg/s, 2 to 6 s after the load began, found the fan-out and flush methods still
/// quick-jitted or instrumented, taking most of the server's user time, while their optimized code took a quarter
/// of it (bench/analysis.md, "CPU per delivery (fan-out and overload)"). What this gives up is profile-guided
/// optimization of these few methods; their calls are few and their types sealed, and the steady state measured no
/// worse for it (same section).
/// </remarks>
internal static class HotPath
{
    public const MethodImplOptions Compile = MethodImplOptions.AggressiveOptimization;
}
