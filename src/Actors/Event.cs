using Akka.Actor;
using Multiprocessing.Internal.Sharing;
using Multiprocessing.Internal.Sync;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// An event shared by processes (Python's <c>multiprocessing.Event</c>): a flag that starts clear (E-01);
/// <see cref="Set"/> releases every waiter in every process and later waits return at once (E-02);
/// <see cref="Clear"/> resets it (E-03). It lives as an actor in the process that created it and travels to
/// <see cref="Process"/> children and <see cref="Pool"/> tasks as an argument (E-04).
/// </summary>
public sealed class Event : ISharedObject<Event>
{
    private readonly IActorRef _actor;

    /// <summary>Creates a clear event.</summary>
    public Event()
        : this(SharedObjects.Create(EventActor.Props(), "event"))
    {
    }

    private Event(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>Whether the flag is set (Python's <c>is_set()</c>).</summary>
    /// <returns><see langword="true"/> when set.</returns>
    public bool IsSet()
    {
        var reply = Caller.Check(Caller.Call(_actor, id => new EventProtocol.IsSet(id), "Event.IsSet"), SharedObjects.Origin(_actor));
        return ((Flag)reply).Value;
    }

    /// <summary>Sets the flag and wakes every waiter (E-02).</summary>
    public void Set() => SetAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Set"/>.</summary>
    /// <returns>A task that completes once the flag is set and the waiters are released.</returns>
    public async Task SetAsync() =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new EventProtocol.Set(id), "Event.Set", CancellationToken.None).ConfigureAwait(false),
            SharedObjects.Origin(_actor));

    /// <summary>Resets the flag; later waits block until the next <see cref="Set"/> (E-03).</summary>
    public void Clear() => ClearAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Clear"/>.</summary>
    /// <returns>A task that completes once the flag is clear.</returns>
    public async Task ClearAsync() =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new EventProtocol.Clear(id), "Event.Clear", CancellationToken.None).ConfigureAwait(false),
            SharedObjects.Origin(_actor));

    /// <summary>Blocks until the flag is set or the timeout passes (E-01, E-02).</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <returns><see langword="true"/> if the flag is set, <see langword="false"/> if the timeout passed first.</returns>
    public bool Wait(TimeSpan? timeout = null) => WaitAsync(timeout).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Wait"/>.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <param name="cancellationToken">Stops waiting; the wait is withdrawn.</param>
    /// <returns><see langword="true"/> if the flag is set, <see langword="false"/> if the timeout passed first.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled before the flag was set.</exception>
    public async Task<bool> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var timeoutMs = SharedObjects.TimeoutMs(true, timeout);
        var reply = Caller.Check(
            await Caller.CallAsync(_actor, id => new EventProtocol.Wait(id, timeoutMs), "Event.Wait", cancellationToken)
                .ConfigureAwait(false),
            SharedObjects.Origin(_actor));
        var set = ((Flag)reply).Value;
        if (!set)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return set;
    }

    static Event ISharedObject<Event>.Attach(IActorRef actor) => new(actor);
}
