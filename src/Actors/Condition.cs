using System.Diagnostics;
using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;
using Multiprocessing.Internal.Sync;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// A condition variable shared by processes (Python's <c>multiprocessing.Condition</c>) with its own reentrant lock
/// (C-01): <see cref="Acquire"/>, <see cref="Release"/> and <see cref="Hold"/> work as on an <see cref="RLock"/>
/// (owner = process and thread). <see cref="Wait"/> releases the lock completely and restores its depth before it
/// returns (C-04); <see cref="Notify"/> and <see cref="NotifyAll"/> wake parked waiters in any process (C-06). All
/// three need the lock (C-02). It lives as an actor in the process that created it and travels to
/// <see cref="Process"/> children and <see cref="Pool"/> tasks as an argument. If a process dies, its waits are
/// dropped and the lock it held is released; the next owner sees <see cref="Abandoned"/>.
/// </summary>
/// <remarks>
/// Ownership is per thread, as in Python and as for <see cref="RLock"/>: the calls of one acquire–wait–release
/// sequence must come from the thread that acquired. The blocking methods do that naturally. After an
/// <c>await</c>, a continuation may run on another thread, which does not own the lock; the holder of
/// <see cref="HoldAsync"/> releases for the thread that acquired, and <see cref="WaitForAsync"/> waits for the
/// thread it was called on, but a separate <c>await</c>ed call after an acquire may come from another thread.
/// </remarks>
public sealed class Condition : ISharedObject<Condition>
{
    private readonly IActorRef _actor;

    /// <summary>Creates a condition with a new, unowned reentrant lock (C-01).</summary>
    public Condition()
        : this(SharedObjects.Create(ConditionActor.Props(), "condition"))
    {
    }

    private Condition(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>Whether the last time this object took the lock, it took over from a holder whose process died.</summary>
    public bool Abandoned { get; private set; }

    private string Origin => SharedObjects.Origin(_actor);

    private static long CurrentThread => Environment.CurrentManagedThreadId;

    /// <summary>Takes the condition's lock, or deepens it if this thread already owns it (C-01, RL-01).</summary>
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
    /// <exception cref="OperationCanceledException">The token was cancelled before the lock was granted.</exception>
    public Task<bool> AcquireAsync(bool block = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(CurrentThread, SharedObjects.TimeoutMs(block, timeout), cancellationToken);

    /// <summary>Releases one level of the calling thread's ownership of the lock.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not own the lock (RL-03).</exception>
    public void Release() => ReleaseAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Release"/>.</summary>
    /// <returns>A task that completes once released.</returns>
    /// <exception cref="SynchronizationLockException">The calling thread does not own the lock (RL-03).</exception>
    public Task ReleaseAsync() => ReleaseAsync(CurrentThread);

    /// <summary>Acquires (waiting as long as needed) and returns a holder that releases on dispose: <c>using (c.Hold()) { }</c>.</summary>
    /// <returns>The holder.</returns>
    public LockHolder Hold()
    {
        var thread = CurrentThread;
        AcquireAsync(thread, -1, CancellationToken.None).GetAwaiter().GetResult();
        return new LockHolder(() => ReleaseAsync(thread));
    }

    /// <summary>
    /// The awaitable twin of <see cref="Hold"/>: <c>await using (await c.HoldAsync()) { }</c>. The holder releases for
    /// the thread that acquired, wherever the continuation runs.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The holder.</returns>
    public async Task<LockHolder> HoldAsync(CancellationToken cancellationToken = default)
    {
        var thread = CurrentThread;
        await AcquireAsync(thread, -1, cancellationToken).ConfigureAwait(false);
        return new LockHolder(() => ReleaseAsync(thread));
    }

    /// <summary>
    /// Releases the lock completely (even when held recursively), waits to be notified or for the timeout, then takes
    /// the lock back at the same depth before returning (C-03, C-04).
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <returns><see langword="true"/> if notified, <see langword="false"/> if the timeout passed first.</returns>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    public bool Wait(TimeSpan? timeout = null) => WaitAsync(timeout).GetAwaiter().GetResult();

    /// <summary>
    /// The awaitable twin of <see cref="Wait"/>. On cancellation the wait is withdrawn, but, as in Python, the lock is
    /// taken back before the exception is thrown, so a surrounding holder can still release it.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> if notified, <see langword="false"/> if the timeout passed first.</returns>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before a notification.</exception>
    public Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitAsync(CurrentThread, SharedObjects.TimeoutMs(true, timeout), cancellationToken);

    /// <summary>
    /// Waits until <paramref name="predicate"/> is true (Python's <c>wait_for</c>, C-05). The predicate runs in this
    /// process, first before any wait, then after each wake-up, with the lock held.
    /// </summary>
    /// <param name="predicate">The condition to wait for.</param>
    /// <param name="timeout">The bound of the whole wait; <see langword="null"/> waits forever.</param>
    /// <returns>The predicate's last value: <see langword="false"/> only when the timeout passed.</returns>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var thread = CurrentThread;
        var deadline = new WaitForDeadline(timeout);
        var result = predicate();
        while (!result && deadline.Next(out var waitMs))
        {
            WaitAsync(thread, waitMs, CancellationToken.None).GetAwaiter().GetResult();
            result = predicate();
        }

        return result;
    }

    /// <summary>The awaitable twin of <see cref="WaitFor"/>; it keeps the calling thread's ownership throughout.</summary>
    /// <param name="predicate">The condition to wait for.</param>
    /// <param name="timeout">The bound of the whole wait; <see langword="null"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The predicate's last value.</returns>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<bool> WaitForAsync(Func<bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var thread = CurrentThread;
        var deadline = new WaitForDeadline(timeout);
        var result = predicate();
        while (!result && deadline.Next(out var waitMs))
        {
            await WaitAsync(thread, waitMs, cancellationToken).ConfigureAwait(false);
            result = predicate();
        }

        return result;
    }

    /// <summary>Wakes at most <paramref name="n"/> of the waiting parties, oldest first; none waiting is a no-op (C-06).</summary>
    /// <param name="n">How many to wake.</param>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public void Notify(int n = 1) => NotifyAsync(n).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Notify"/>.</summary>
    /// <param name="n">How many to wake.</param>
    /// <returns>A task that completes once the waiters are woken (they run once the lock is released).</returns>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public Task NotifyAsync(int n = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return NotifyAsync(CurrentThread, n);
    }

    /// <summary>Wakes every waiting party (C-06).</summary>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    public void NotifyAll() => NotifyAllAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="NotifyAll"/>.</summary>
    /// <returns>A task that completes once the waiters are woken.</returns>
    /// <exception cref="InvalidOperationException">The calling thread does not own the lock (C-02).</exception>
    public Task NotifyAllAsync() => NotifyAsync(CurrentThread, int.MaxValue);

    static Condition ISharedObject<Condition>.Attach(IActorRef actor) => new(actor);

    private async Task<bool> AcquireAsync(long thread, long timeoutMs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var reply = Caller.Check(
            await Caller.CallAsync(_actor, id => new LockProtocol.Acquire(id, thread, timeoutMs), "Condition.Acquire", cancellationToken)
                .ConfigureAwait(false),
            Origin);
        var flag = (Flag)reply;
        if (flag.Value)
        {
            Abandoned = flag.Abandoned;
            return true;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }

    private async Task ReleaseAsync(long thread) =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new LockProtocol.Release(id, thread), "Condition.Release", CancellationToken.None)
                .ConfigureAwait(false),
            Origin);

    private async Task<bool> WaitAsync(long thread, long timeoutMs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var reply = Caller.Check(
            await Caller.CallAsync(_actor, id => new ConditionProtocol.Wait(id, thread, timeoutMs), "Condition.Wait", cancellationToken)
                .ConfigureAwait(false),
            Origin);
        var flag = (Flag)reply;
        if (flag.Abandoned)
        {
            Abandoned = true;
        }

        if (!flag.Value)
        {
            // The lock is owned again here, as after Python's interrupted wait.
            cancellationToken.ThrowIfCancellationRequested();
        }

        return flag.Value;
    }

    private async Task NotifyAsync(long thread, int n) =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new ConditionProtocol.Notify(id, thread, n), "Condition.Notify", CancellationToken.None)
                .ConfigureAwait(false),
            Origin);

    /// <summary>Python's <c>wait_for</c> deadline: set at the first wait; each later wait gets what remains of it.</summary>
    private sealed class WaitForDeadline(TimeSpan? timeout)
    {
        private readonly TimeSpan? _limit = timeout == Timeout.InfiniteTimeSpan ? null : timeout;
        private long? _start;

        /// <summary>The next wait in milliseconds (-1 forever), or false when the deadline has passed.</summary>
        public bool Next(out long waitMs)
        {
            if (_limit is not { } limit)
            {
                waitMs = -1;
                return true;
            }

            var remaining = limit;
            if (_start is null)
            {
                _start = Stopwatch.GetTimestamp();
            }
            else
            {
                remaining = limit - Stopwatch.GetElapsedTime(_start.Value);
                if (remaining <= TimeSpan.Zero)
                {
                    waitMs = 0;
                    return false;
                }
            }

            waitMs = SharedObjects.TimeoutMs(true, remaining);
            return true;
        }
    }
}
