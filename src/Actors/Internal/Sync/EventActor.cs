using Akka.Actor;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Sharing.CallProtocol;
using static Multiprocessing.Internal.Sync.EventProtocol;

namespace Multiprocessing.Internal.Sync;

/// <summary>
/// Python's <c>Event</c> as an actor: a flag, initially clear (E-01); <c>Set</c> releases every parked waiter and
/// later waits return at once (E-02); <c>Clear</c> resets it (E-03). Deadlines are kept here, so a wait that timed
/// out is never answered true later. Waiters of a process that dies are dropped.
/// </summary>
internal sealed class EventActor : ReceiveActor, IWithTimers
{
    private readonly WaiterQueue _waiters = new();
    private readonly HashSet<IActorRef> _watched = [];
    private bool _set;

    public EventActor()
    {
        Receive<Set>(OnSet);
        Receive<Clear>(m =>
        {
            _set = false;
            Sender.Tell(new Done(m.CallId));
        });
        Receive<IsSet>(m => Sender.Tell(new Flag(m.CallId, _set, false)));
        Receive<Wait>(OnWait);
        Receive<Cancel>(m => Expire(Sender, m.CallId, withdrawn: true));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, withdrawn: false));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props() => Akka.Actor.Props.Create(() => new EventActor());

    private void OnSet(Set set)
    {
        _set = true;
        while (_waiters.TakeFirst() is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            waiter.Caller.Tell(new Flag(waiter.CallId, true, false));
        }

        Sender.Tell(new Done(set.CallId));
    }

    private void OnWait(Wait wait)
    {
        if (_set || wait.TimeoutMs == 0)
        {
            Sender.Tell(new Flag(wait.CallId, _set, false));
            return;
        }

        var waiter = new Waiter(Sender, wait.CallId, 0);
        _waiters.Add(waiter);
        if (_watched.Add(Sender))
        {
            Context.Watch(Sender);
        }

        if (wait.TimeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(Sender, wait.CallId), TimeSpan.FromMilliseconds(wait.TimeoutMs));
        }
    }

    /// <summary>A timeout (answered false) or a withdrawal (answered <see cref="Withdrawn"/>), unless already released.</summary>
    private void Expire(IActorRef caller, long callId, bool withdrawn)
    {
        if (_waiters.Remove((caller, callId)) is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            caller.Tell(withdrawn ? new Withdrawn(callId) : new Flag(callId, false, false));
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        _watched.Remove(terminated.ActorRef);
        foreach (var waiter in _waiters.RemoveAll(terminated.ActorRef))
        {
            Timers.Cancel(waiter.Key);
        }
    }
}
