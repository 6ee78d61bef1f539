using MessagePack;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>Requests to lock actors (Lock, RLock, Semaphore, BoundedSemaphore).</summary>
internal static class LockProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Acquire), "l1"),
        (typeof(Release), "l2"),
        (typeof(GetValue), "l3"),
    ];

    /// <summary>
    /// Take the lock (or one permit) for <paramref name="Thread"/> of the sending process. <paramref name="TimeoutMs"/>:
    /// -1 waits forever, 0 does not wait. Answered with <see cref="Flag"/> (acquired, abandoned).
    /// </summary>
    [MessagePackObject]
    public sealed record Acquire(
        [property: Key(0)] long CallId,
        [property: Key(1)] long Thread,
        [property: Key(2)] long TimeoutMs) : IRequest;

    /// <summary>Give the lock (or one permit) back. Answered with <see cref="Done"/> or <see cref="Failed"/>.</summary>
    [MessagePackObject]
    public sealed record Release([property: Key(0)] long CallId, [property: Key(1)] long Thread) : IRequest;

    /// <summary>Read the state: for semaphores and Lock the value (a Lock is 1 when free, 0 when held), for RLock the depth. Answered with <see cref="Number"/>.</summary>
    [MessagePackObject]
    public sealed record GetValue([property: Key(0)] long CallId) : IRequest;
}
