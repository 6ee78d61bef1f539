using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A reentrant lock shared by processes (Python's <c>multiprocessing.RLock</c>): its owner, a thread of a process,
/// may acquire it again; each acquire needs a release by the owner (RL-01, RL-03). If the owning process dies, the
/// lock is released and the next owner sees <see cref="SharedLock.Abandoned"/> (RL-04 target).
/// </summary>
/// <remarks>
/// A process that uses the lock takes a lease on it and then acquires and releases locally until another process
/// wants it (see <see cref="SharedLock"/>). A process killed within <c>multiprocessing.locks.lease-linger</c> (a few
/// milliseconds) after its last release still holds the lease, so the next owner is told
/// <see cref="SharedLock.Abandoned"/> although the lock was free.
/// </remarks>
public sealed class RLock : SharedLock, ISharedObject<RLock>
{
    /// <summary>Creates an unowned reentrant lock.</summary>
    public RLock()
        : this(SharedObjects.Create(LeaseLockActor.Props(reentrant: true), "rlock"))
    {
    }

    private RLock(IActorRef actor)
        : base(actor, ownedByThread: true, leased: true)
    {
    }

    /// <summary>Whether anyone holds the lock.</summary>
    /// <returns><see langword="true"/> when held.</returns>
    public bool Locked() => Value() > 0;

    static RLock ISharedObject<RLock>.Attach(IActorRef actor) => new(actor);
}
