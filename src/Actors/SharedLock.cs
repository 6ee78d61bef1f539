using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// What <see cref="Lock"/>, <see cref="RLock"/>, <see cref="Semaphore"/> and <see cref="BoundedSemaphore"/> share:
/// acquire and release through an actor in the process that created the object (or in a manager), with Python's
/// timeout rules, waiters served in arrival order, and <c>using (x.Hold())</c> for <c>with x:</c>. The objects
/// travel to <see cref="Pool"/> tasks and <c>Process</c> children as arguments.
/// </summary>
/// <remarks>
/// <see cref="Lock"/> and <see cref="RLock"/> are cached per process (<c>multiprocessing.locks.cache</c>): a process
/// takes a lease on the lock with one round trip, and while no other process wants the lock, its threads acquire and
/// release it locally. Another process's acquire revokes the lease: it comes back at the first release that frees the
/// lock once the lease is <c>multiprocessing.locks.lease-quantum</c> old, so a contended lock changes process at most
/// about once per quantum (its threads keep arrival order among themselves; across processes the waiting process is
/// served next). Mutual exclusion, timeouts and queries (<c>Locked()</c>) stay exact. A process that holds the lease
/// of a free lock gives it back after <c>multiprocessing.locks.lease-linger</c> without use, and at orderly exit; a
/// process killed within that time after its last release is reported to the next owner as
/// <see cref="Abandoned"/>, as if it had died holding the lock.
/// </remarks>
public abstract class SharedLock : ISharedObject
{
    private readonly IActorRef _actor;
    private readonly bool _ownedByThread;
    private readonly LeasedLock? _leased;

    private protected SharedLock(IActorRef actor, bool ownedByThread, bool leased = false)
    {
        _actor = actor;
        _ownedByThread = ownedByThread;
        _leased = leased ? LockLeases.For(actor, reentrant: ownedByThread) : null;
    }

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>
    /// Whether the last successful acquire through this object took over from a holder whose process died (the lock
    /// was released for it: L-09 and RL-04 target; .NET's <c>AbandonedMutexException</c> idea).
    /// </summary>
    public bool Abandoned { get; private set; }

    /// <summary>Takes the lock (or one unit of the semaphore), waiting in arrival order (L-01..L-04, S-01).</summary>
    /// <param name="block">False: do not wait at all (the timeout is ignored), as Python's <c>acquire(False)</c>.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; negative means do not wait (L-03).</param>
    /// <returns><see langword="true"/> if acquired, <see langword="false"/> if not within the timeout.</returns>
    public bool Acquire(bool block = true, TimeSpan? timeout = null) => AcquireAs(Owner(), block, timeout);

    /// <summary>The awaitable twin of <see cref="Acquire"/>.</summary>
    /// <param name="block">False: do not wait at all.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting; the request is withdrawn (if it was granted meanwhile, this returns true).</param>
    /// <returns><see langword="true"/> if acquired.</returns>
    public Task<bool> AcquireAsync(bool block = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(Owner(), block, timeout, cancellationToken);

    /// <summary>Gives the lock (or one unit) back.</summary>
    /// <exception cref="SemaphoreFullException">A Lock that is not held, or a BoundedSemaphore at its maximum (L-06, BS-01).</exception>
    /// <exception cref="SynchronizationLockException">An RLock the calling thread does not own (RL-03).</exception>
    public void Release() => ReleaseAs(Owner());

    /// <summary>The awaitable twin of <see cref="Release"/>.</summary>
    /// <returns>A task that completes once released.</returns>
    /// <exception cref="SemaphoreFullException">A Lock that is not held, or a BoundedSemaphore at its maximum.</exception>
    /// <exception cref="SynchronizationLockException">An RLock the calling thread does not own.</exception>
    public Task ReleaseAsync() => ReleaseAsync(Owner());

    /// <summary>Acquires (waiting as long as needed) and returns a holder that releases on dispose: <c>using (x.Hold()) { }</c>.</summary>
    /// <returns>The holder.</returns>
    public LockHolder Hold()
    {
        var owner = Owner();
        AcquireAs(owner, true, null);
        return new LockHolder(() => ReleaseAsync(owner));
    }

    /// <summary>The awaitable twin of <see cref="Hold"/>: <c>await using (await x.HoldAsync()) { }</c>.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The holder; it releases as the owner that acquired, even if the async flow moved to another thread.</returns>
    public async Task<LockHolder> HoldAsync(CancellationToken cancellationToken = default)
    {
        var owner = Owner();
        await AcquireAsync(owner, true, null, cancellationToken).ConfigureAwait(false);
        return new LockHolder(() => ReleaseAsync(owner));
    }

    /// <summary>The actor's value: a semaphore's count, 1 for a free Lock and 0 for a held one, an RLock's depth.</summary>
    private protected long Value()
    {
        if (_leased is not null && _leased.TryLocalDepth(out var depth))
        {
            return _ownedByThread ? depth : (depth > 0 ? 0 : 1);
        }

        var reply = Caller.Check(
            Caller.Call(_actor, id => new LockProtocol.GetValue(id), $"{GetType().Name}.GetValue"), SharedObjects.Origin(_actor));
        return ((Number)reply).Value;
    }

    private long Owner() => _ownedByThread ? Environment.CurrentManagedThreadId : 0L;

    private bool AcquireAs(long owner, bool block, TimeSpan? timeout)
    {
        var timeoutMs = SharedObjects.TimeoutMs(block, timeout);
        if (_leased is not null)
        {
            var (acquired, abandoned) = _leased.Acquire(owner, timeoutMs);
            return Took(acquired, abandoned);
        }

        return Granted(Caller.Call(_actor, id => new LockProtocol.Acquire(id, owner, timeoutMs), $"{GetType().Name}.Acquire"));
    }

    private void ReleaseAs(long owner)
    {
        if (_leased is not null)
        {
            if (Caller.HasPendingWrites)
            {
                Caller.DrainWrites();
            }

            if (_leased.TryRelease(owner))
            {
                return;
            }
        }

        Caller.Check(Caller.Call(_actor, id => new LockProtocol.Release(id, owner), $"{GetType().Name}.Release"), SharedObjects.Origin(_actor));
    }

    private async Task<bool> AcquireAsync(long owner, bool block, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var timeoutMs = SharedObjects.TimeoutMs(block, timeout);
        if (_leased is not null)
        {
            var (acquired, abandoned) = await _leased.AcquireAsync(owner, timeoutMs, cancellationToken).ConfigureAwait(false);
            return Took(acquired, abandoned);
        }

        return Granted(await Caller.CallAsync(
                _actor, id => new LockProtocol.Acquire(id, owner, timeoutMs), $"{GetType().Name}.Acquire", cancellationToken)
            .ConfigureAwait(false));
    }

    private bool Granted(IReply reply)
    {
        var flag = (Flag)Caller.Check(reply, SharedObjects.Origin(_actor));
        return Took(flag.Value, flag.Abandoned);
    }

    private bool Took(bool acquired, bool abandoned)
    {
        if (acquired)
        {
            Abandoned = abandoned;
        }

        return acquired;
    }

    private async Task ReleaseAsync(long owner)
    {
        if (_leased is not null)
        {
            await Caller.DrainWritesAsync().ConfigureAwait(false);
            if (_leased.TryRelease(owner))
            {
                return;
            }
        }

        Caller.Check(
            await Caller.CallAsync(_actor, id => new LockProtocol.Release(id, owner), $"{GetType().Name}.Release", CancellationToken.None)
                .ConfigureAwait(false),
            SharedObjects.Origin(_actor));
    }
}
