using MessagePack;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Sync;

/// <summary>
/// Requests to a Condition actor beyond its lock, which takes the lock messages of
/// <see cref="Locks.LockProtocol"/> (<c>Acquire</c>, <c>Release</c>, <c>GetValue</c>) as an RLock does (C-01).
/// </summary>
internal static class ConditionProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Wait), "s11"),
        (typeof(Notify), "s12"),
    ];

    /// <summary>
    /// Release the lock completely, wait to be notified, then take the lock back at the same depth (C-04).
    /// <paramref name="TimeoutMs"/>: -1 waits forever, 0 does not wait. Answered once the lock is owned again, with
    /// <see cref="Flag"/>: true when notified, false on timeout or withdrawal; <see cref="Failed"/> when the caller does
    /// not own the lock (C-02).
    /// </summary>
    [MessagePackObject]
    public sealed record Wait(
        [property: Key(0)] long CallId,
        [property: Key(1)] long Thread,
        [property: Key(2)] long TimeoutMs) : IRequest;

    /// <summary>
    /// Wake at most <paramref name="Count"/> waiters, oldest first (<see cref="int.MaxValue"/> for all; C-06). Answered
    /// with <see cref="Done"/>, or <see cref="Failed"/> when the caller does not own the lock (C-02).
    /// </summary>
    [MessagePackObject]
    public sealed record Notify(
        [property: Key(0)] long CallId,
        [property: Key(1)] long Thread,
        [property: Key(2)] int Count) : IRequest;
}
