using MessagePack;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>
/// Requests to lock actors (Lock, RLock, Semaphore, BoundedSemaphore), and the lease protocol of Lock and RLock
/// (<see cref="LeaseLockActor"/>): a process takes a lease on the lock and then acquires and releases it locally
/// until another process wants it.
/// </summary>
internal static class LockProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Acquire), "l1"),
        (typeof(Release), "l2"),
        (typeof(GetValue), "l3"),
        (typeof(LeaseRequest), "l4"),
        (typeof(LeaseGranted), "l5"),
        (typeof(LeaseDenied), "l6"),
        (typeof(ReturnLease), "l7"),
        (typeof(Revoke), "l8"),
        (typeof(RevokeDeferred), "l9"),
        (typeof(QueryLease), "l10"),
        (typeof(LeaseState), "l11"),
        (typeof(ForeignRelease), "l12"),
        (typeof(ForeignReleased), "l13"),
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

    /// <summary>
    /// A process's lease agent asks for the lease of a free lock (the lock itself is then taken locally).
    /// <paramref name="TimeoutMs"/>: -1 waits forever, 0 only if the lock is free now. Answered with
    /// <see cref="LeaseGranted"/>, <see cref="LeaseDenied"/> or (after a <see cref="Cancel"/>) <see cref="Withdrawn"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record LeaseRequest([property: Key(0)] long CallId, [property: Key(1)] long TimeoutMs) : IProtocolMessage;

    /// <summary>
    /// The lease is the requester's, the lock free (the same <paramref name="LeaseId"/> again if it already held it).
    /// <paramref name="Abandoned"/>: the last holder died; the first local owner is told.
    /// </summary>
    [MessagePackObject]
    public sealed record LeaseGranted(
        [property: Key(0)] long CallId,
        [property: Key(1)] long LeaseId,
        [property: Key(2)] bool Abandoned) : IProtocolMessage;

    /// <summary>A lease request that was not to wait found the lock busy (or its timeout ran out).</summary>
    [MessagePackObject]
    public sealed record LeaseDenied([property: Key(0)] long CallId) : IProtocolMessage;

    /// <summary>
    /// The holder gives the lease of a free lock back. <paramref name="Abandoned"/>: the abandoned flag it got with
    /// the lease was not told to anyone yet. A non-zero <paramref name="CallId"/> is answered with <see cref="Done"/>
    /// (with <paramref name="LeaseId"/> 0 only that: an ending process's fence behind its earlier messages).
    /// </summary>
    [MessagePackObject]
    public sealed record ReturnLease(
        [property: Key(0)] long CallId,
        [property: Key(1)] long LeaseId,
        [property: Key(2)] bool Abandoned) : IRequest;

    /// <summary>
    /// Another process wants the lock: the holder returns the lease once the lock is locally free. A non-zero
    /// <paramref name="Probe"/> comes from a request that does not wait: the holder returns a free lock at once and
    /// otherwise answers <see cref="RevokeDeferred"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Revoke([property: Key(0)] long LeaseId, [property: Key(1)] long Probe) : IProtocolMessage;

    /// <summary>The holder's answer to a probing <see cref="Revoke"/>: the lock is held here now.</summary>
    [MessagePackObject]
    public sealed record RevokeDeferred([property: Key(0)] long LeaseId, [property: Key(1)] long Probe) : IProtocolMessage;

    /// <summary>The lock actor asks the holder for the lock's local state (a query of another process).</summary>
    [MessagePackObject]
    public sealed record QueryLease([property: Key(0)] long RelayId, [property: Key(1)] long LeaseId) : IProtocolMessage;

    /// <summary>The holder's answer to <see cref="QueryLease"/>: how deep the lock is held (0 = free).</summary>
    [MessagePackObject]
    public sealed record LeaseState([property: Key(0)] long RelayId, [property: Key(1)] long Depth) : IProtocolMessage;

    /// <summary>Another process releases a Lock (L-05) that is held under the holder's lease.</summary>
    [MessagePackObject]
    public sealed record ForeignRelease([property: Key(0)] long RelayId, [property: Key(1)] long LeaseId) : IProtocolMessage;

    /// <summary>The holder's answer to <see cref="ForeignRelease"/>: released, or it was not held (L-06).</summary>
    [MessagePackObject]
    public sealed record ForeignReleased([property: Key(0)] long RelayId, [property: Key(1)] bool Released) : IProtocolMessage;
}
