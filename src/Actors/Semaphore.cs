using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// A counting semaphore shared by processes (Python's <c>multiprocessing.Semaphore</c>): release may raise the
/// value above its start (S-02). Use <c>mp.Semaphore</c>: <c>System.Threading.Semaphore</c> has the same name.
/// </summary>
public sealed class Semaphore : ISharedObject<Semaphore>
{
    private readonly IActorRef _actor;

    /// <summary>Creates a semaphore.</summary>
    /// <param name="value">The starting value (Python's default is 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative (S-03).</exception>
    public Semaphore(int value = 1)
        : this(SharedObjects.Create(SemaphoreActor.Props(CheckValue(value), null, isLock: false), "semaphore"))
    {
    }


    private Semaphore(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>Whether the last successful acquire through this object took over from a holder whose process died.</summary>
    public bool Abandoned { get; private set; }

    /// <summary>Takes one unit, waiting while the value is 0 (S-01, S-04).</summary>
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
        AcquireAsync(0L, block, timeout, cancellationToken);

    /// <summary>Gives one unit back; never fails (S-02).</summary>
    /// <exception cref="SemaphoreFullException">Never raised by an unbounded semaphore.</exception>
    public void Release() => ReleaseAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Release"/>.</summary>
    /// <returns>A task that completes once released.</returns>
    /// <exception cref="SemaphoreFullException">Never raised by an unbounded semaphore.</exception>
    public Task ReleaseAsync() => ReleaseAsync(0L);

    /// <summary>Acquires (waiting as long as needed) and returns a holder that releases on dispose: <c>using (x.Hold()) { }</c>.</summary>
    /// <returns>The holder.</returns>
    public LockHolder Hold()
    {
        var owner = 0L;
        AcquireAsync(owner, true, null, CancellationToken.None).GetAwaiter().GetResult();
        return new LockHolder(() => ReleaseAsync(owner));
    }

    /// <summary>The awaitable twin of <see cref="Hold"/>: <c>await using (await x.HoldAsync()) { }</c>.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The holder.</returns>
    public async Task<LockHolder> HoldAsync(CancellationToken cancellationToken = default)
    {
        // The holder releases as the owner that acquired, even if the async flow resumed on another thread.
        var owner = 0L;
        await AcquireAsync(owner, true, null, cancellationToken).ConfigureAwait(false);
        return new LockHolder(() => ReleaseAsync(owner));
    }

    /// <summary>The current value (Python's <c>get_value()</c>).</summary>
    /// <returns>The value.</returns>
    public long GetValue() => Value();

    internal static int CheckValue(int value) => value >= 0
        ? value
        : throw new ArgumentOutOfRangeException(nameof(value), value, "A semaphore's value must be zero or more (S-03).");


    private async Task<bool> AcquireAsync(long owner, bool block, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var timeoutMs = SharedObjects.TimeoutMs(block, timeout);
        var reply = Caller.Check(
            await Caller.CallAsync(_actor, id => new LockProtocol.Acquire(id, owner, timeoutMs), "Semaphore.Acquire", cancellationToken)
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
            await Caller.CallAsync(_actor, id => new LockProtocol.Release(id, owner), "Semaphore.Release", CancellationToken.None)
                .ConfigureAwait(false),
            SharedObjects.Origin(_actor));

    static Semaphore ISharedObject<Semaphore>.Attach(IActorRef actor) => new(actor);

    private long Value()
    {
        var reply = Caller.Check(
            Caller.Call(_actor, id => new LockProtocol.GetValue(id), "Semaphore.GetValue"), SharedObjects.Origin(_actor));
        return ((Number)reply).Value;
    }
}
