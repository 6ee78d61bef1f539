using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// A lock shared by processes (Python's <c>multiprocessing.Lock</c>): not reentrant, releasable by any process
/// (L-05). It lives as an actor in the process that created it and travels to <see cref="Pool"/> tasks and
/// <c>Process</c> children as an argument. If the process holding it dies, the lock is released and the
/// next owner sees <see cref="Abandoned"/> (L-09 target). Use <c>mp.Lock</c>: <c>System.Threading.Lock</c> has the same name.
/// </summary>
public sealed class Lock : ISharedObject<Lock>
{
    private readonly IActorRef _actor;

    /// <summary>Creates an unlocked lock.</summary>
    public Lock()
        : this(SharedObjects.Create(SemaphoreActor.Props(1, 1, isLock: true), "lock"))
    {
    }


    private Lock(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>Whether the last successful acquire through this object took over from a holder whose process died.</summary>
    public bool Abandoned { get; private set; }

    /// <summary>Takes the lock (L-01..L-04); waiters are served in arrival order.</summary>
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

    /// <summary>Releases the lock; any process may release it (L-05).</summary>
    /// <exception cref="SemaphoreFullException">The lock is not held (L-06).</exception>
    public void Release() => ReleaseAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Release"/>.</summary>
    /// <returns>A task that completes once released.</returns>
    /// <exception cref="SemaphoreFullException">The lock is not held (L-06).</exception>
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

    /// <summary>Whether the lock is held by anyone (Python 3.14's <c>locked()</c>).</summary>
    /// <returns><see langword="true"/> when held.</returns>
    public bool Locked() => Value() == 0;


    private async Task<bool> AcquireAsync(long owner, bool block, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var timeoutMs = SharedObjects.TimeoutMs(block, timeout);
        var reply = Caller.Check(
            await Caller.CallAsync(_actor, id => new LockProtocol.Acquire(id, owner, timeoutMs), "Lock.Acquire", cancellationToken)
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
            await Caller.CallAsync(_actor, id => new LockProtocol.Release(id, owner), "Lock.Release", CancellationToken.None)
                .ConfigureAwait(false),
            SharedObjects.Origin(_actor));

    static Lock ISharedObject<Lock>.Attach(IActorRef actor) => new(actor);

    private long Value()
    {
        var reply = Caller.Check(
            Caller.Call(_actor, id => new LockProtocol.GetValue(id), "Lock.GetValue"), SharedObjects.Origin(_actor));
        return ((Number)reply).Value;
    }
}
