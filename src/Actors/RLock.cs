using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// A reentrant lock shared by processes (Python's <c>multiprocessing.RLock</c>): its owner (process and thread) may
/// acquire it again; each acquire needs a release by the owner (RL-01, RL-03). If the owning process dies, the lock
/// is released and the next owner sees <see cref="Abandoned"/> (RL-04 target).
/// </summary>
public sealed class RLock : ISharedObject<RLock>
{
    private readonly IActorRef _actor;

    /// <summary>Creates an unowned reentrant lock.</summary>
    public RLock()
        : this(SharedObjects.Create(RLockActor.Props(), "rlock"))
    {
    }


    private RLock(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>Whether the last successful acquire through this object took over from a holder whose process died.</summary>
    public bool Abandoned { get; private set; }

    /// <summary>Takes the lock, or deepens it if this thread already owns it (RL-01).</summary>
    /// <param name="block">False: do not wait at all (the timeout is ignored), as Python's <c>acquire(False)</c>.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; negative means do not wait (L-03).</param>
    /// <returns><see langword="true"/> if acquired, <see langword="false"/> if not within the timeout.</returns>
    public bool Acquire(bool block = true, TimeSpan? timeout = null) =>
        AcquireAsync(block, timeout).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Acquire"/>.</summary>
    /// <param name="block">False: do not wait at all.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting; the request is withdrawn.</param>
    /// <returns><see langword="true"/> if acquired.</returns>
    public Task<bool> AcquireAsync(bool block = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync((long)Environment.CurrentManagedThreadId, block, timeout, cancellationToken);

    /// <summary>Releases one level of the calling thread's ownership.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not own the lock (RL-03).</exception>
    public void Release() => ReleaseAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Release"/>.</summary>
    /// <returns>A task that completes once released.</returns>
    /// <exception cref="SynchronizationLockException">The calling thread does not own the lock (RL-03).</exception>
    public Task ReleaseAsync() => ReleaseAsync((long)Environment.CurrentManagedThreadId);

    /// <summary>Acquires (waiting as long as needed) and returns a holder that releases on dispose: <c>using (x.Hold()) { }</c>.</summary>
    /// <returns>The holder.</returns>
    public LockHolder Hold()
    {
        var owner = (long)Environment.CurrentManagedThreadId;
        AcquireAsync(owner, true, null, CancellationToken.None).GetAwaiter().GetResult();
        return new LockHolder(() => ReleaseAsync(owner));
    }

    /// <summary>The awaitable twin of <see cref="Hold"/>: <c>await using (await x.HoldAsync()) { }</c>.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The holder.</returns>
    public async Task<LockHolder> HoldAsync(CancellationToken cancellationToken = default)
    {
        // The holder releases as the owner that acquired, even if the async flow resumed on another thread.
        var owner = (long)Environment.CurrentManagedThreadId;
        await AcquireAsync(owner, true, null, cancellationToken).ConfigureAwait(false);
        return new LockHolder(() => ReleaseAsync(owner));
    }

    /// <summary>Whether anyone holds the lock.</summary>
    /// <returns><see langword="true"/> when held.</returns>
    public bool Locked() => Value() > 0;


    private async Task<bool> AcquireAsync(long owner, bool block, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var timeoutMs = SharedObjects.TimeoutMs(block, timeout);
        var reply = Caller.Check(
            await Caller.CallAsync(_actor, id => new LockProtocol.Acquire(id, owner, timeoutMs), "RLock.Acquire", cancellationToken)
                .ConfigureAwait(false),
            SharedObjects.Origin(_actor));
        var flag = (Flag)reply;
        if (flag.Value)
        {
            Abandoned = flag.Abandoned;
        }

        return flag.Value;
    }

    private async Task ReleaseAsync(long owner) =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new LockProtocol.Release(id, owner), "RLock.Release", CancellationToken.None)
                .ConfigureAwait(false),
            SharedObjects.Origin(_actor));

    static RLock ISharedObject<RLock>.Attach(IActorRef actor) => new(actor);

    private long Value()
    {
        var reply = Caller.Check(
            Caller.Call(_actor, id => new LockProtocol.GetValue(id), "RLock.GetValue"), SharedObjects.Origin(_actor));
        return ((Number)reply).Value;
    }
}
