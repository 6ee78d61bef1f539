using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A lock shared by processes (Python's <c>multiprocessing.Lock</c>): not reentrant, releasable by any process
/// (L-05). If the process holding it dies, the lock is released and the next owner sees
/// <see cref="SharedLock.Abandoned"/> (L-09 target). Use <c>mp.Lock</c>: <c>System.Threading.Lock</c> has the same name.
/// </summary>
/// <remarks>
/// A process that uses the lock takes a lease on it and then acquires and releases locally until another process
/// wants it (see <see cref="SharedLock"/>). A process killed within <c>multiprocessing.locks.lease-linger</c> (a few
/// milliseconds) after its last release still holds the lease, so the next owner is told
/// <see cref="SharedLock.Abandoned"/> although the lock was free.
/// </remarks>
public sealed class Lock : SharedLock, ISharedObject<Lock>
{
    /// <summary>Creates an unlocked lock.</summary>
    public Lock()
        : this(SharedObjects.Create(LeaseLockActor.Props(reentrant: false), "lock"))
    {
    }

    private Lock(IActorRef actor)
        : base(actor, ownedByThread: false, leased: true)
    {
    }

    /// <summary>Whether the lock is held by anyone (Python 3.14's <c>locked()</c>).</summary>
    /// <returns><see langword="true"/> when held.</returns>
    public bool Locked() => Value() == 0;

    static Lock ISharedObject<Lock>.Attach(IActorRef actor) => new(actor);
}
