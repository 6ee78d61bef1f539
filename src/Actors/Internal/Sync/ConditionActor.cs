using Akka.Actor;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;
using static Multiprocessing.Internal.Sync.ConditionProtocol;

namespace Multiprocessing.Internal.Sync;

/// <summary>
/// Python's <c>Condition</c> as an actor, with its own reentrant lock (C-01): the lock behaves as
/// <see cref="RLockActor"/> (owner = process + thread, depth, arrival order, released for a dead owner). A wait
/// releases the lock completely and parks the caller with its depth; a notify, a timeout or a withdrawal moves it to
/// the back of the lock's queue, and it is answered only once it owns the lock again at the same depth (C-04), as
/// Python's <c>wait</c> returns. Waiters whose timeout fired are no longer parked, so notify does not count them
/// (C-06). A process that dies loses its waits and the lock it held.
/// </summary>
internal sealed class ConditionActor : ReceiveActor, IWithTimers
{
    /// <summary>Requests for the lock: plain acquires, then waiters taking the lock back (payload <see cref="Reacquire"/>).</summary>
    private readonly WaiterQueue _lockWaiters = new();

    /// <summary>Parked waits; the payload is the lock depth to restore.</summary>
    private readonly WaiterQueue _conditionWaiters = new();

    private readonly HashSet<IActorRef> _watched = [];
    private IActorRef? _owner;
    private long _ownerThread;
    private long _depth;
    private bool _abandoned;

    public ConditionActor()
    {
        Receive<Acquire>(OnAcquire);
        Receive<Release>(OnRelease);
        Receive<GetValue>(m => Sender.Tell(new Number(m.CallId, _depth)));
        Receive<Wait>(OnWait);
        Receive<Notify>(OnNotify);
        Receive<Cancel>(m => Expire(Sender, m.CallId, withdrawn: true));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, withdrawn: false));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props() => Akka.Actor.Props.Create(() => new ConditionActor());

    private void OnAcquire(Acquire acquire)
    {
        if (_owner is null && _lockWaiters.Count == 0)
        {
            Grant(new Waiter(Sender, acquire.CallId, acquire.Thread));
            return;
        }

        if (IsOwner(Sender, acquire.Thread))
        {
            _depth++;
            Sender.Tell(new Flag(acquire.CallId, true, false));
            return;
        }

        if (acquire.TimeoutMs == 0)
        {
            Sender.Tell(new Flag(acquire.CallId, false, false));
            return;
        }

        var waiter = new Waiter(Sender, acquire.CallId, acquire.Thread);
        _lockWaiters.Add(waiter);
        Watch(Sender);
        if (acquire.TimeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(Sender, acquire.CallId), TimeSpan.FromMilliseconds(acquire.TimeoutMs));
        }
    }

    private void OnRelease(Release release)
    {
        if (!IsOwner(Sender, release.Thread))
        {
            Sender.Tell(new Failed(release.CallId, RemoteError.From(new SynchronizationLockException(
                "Attempt to release a condition's lock not owned by this thread (C-01, RL-03)."))));
            return;
        }

        _depth--;
        Sender.Tell(new Done(release.CallId));
        if (_depth == 0)
        {
            _owner = null;
            ServeNext();
        }
    }

    private void OnWait(Wait wait)
    {
        if (!IsOwner(Sender, wait.Thread))
        {
            Sender.Tell(new Failed(wait.CallId, RemoteError.From(new InvalidOperationException(
                "Cannot wait on a condition whose lock this thread does not own: acquire it first (C-02)."))));
            return;
        }

        // C-04: the lock is released completely, whatever its depth, and the depth is restored before the answer.
        var waiter = new Waiter(Sender, wait.CallId, wait.Thread, _depth);
        _owner = null;
        _depth = 0;
        if (wait.TimeoutMs == 0)
        {
            _lockWaiters.Add(waiter with { Payload = new Reacquire((long)waiter.Payload!, Notified: false) });
        }
        else
        {
            _conditionWaiters.Add(waiter);
            if (wait.TimeoutMs > 0)
            {
                Timers.StartSingleTimer(waiter.Key, new WaitExpired(Sender, wait.CallId), TimeSpan.FromMilliseconds(wait.TimeoutMs));
            }
        }

        ServeNext();
    }

    private void OnNotify(Notify notify)
    {
        if (!IsOwner(Sender, notify.Thread))
        {
            Sender.Tell(new Failed(notify.CallId, RemoteError.From(new InvalidOperationException(
                "Cannot notify on a condition whose lock this thread does not own: acquire it first (C-02)."))));
            return;
        }

        // C-06: the oldest parked waiters, at most Count; they take the lock back after the notifier releases it.
        for (var i = 0; i < notify.Count && _conditionWaiters.TakeFirst() is { } waiter; i++)
        {
            Timers.Cancel(waiter.Key);
            _lockWaiters.Add(waiter with { Payload = new Reacquire((long)waiter.Payload!, Notified: true) });
        }

        Sender.Tell(new Done(notify.CallId));
    }

    /// <summary>
    /// A timeout or a withdrawal. A parked wait stops waiting and queues to take the lock back (answered false once
    /// it owns it, as Python's interrupted wait returns with the lock held); a parked acquire is answered at once
    /// (false on timeout, <see cref="Withdrawn"/> when withdrawn); a waiter already taking the lock back is left alone.
    /// </summary>
    private void Expire(IActorRef caller, long callId, bool withdrawn)
    {
        var key = (caller, callId);
        if (_conditionWaiters.Remove(key) is { } waiting)
        {
            Timers.Cancel(waiting.Key);
            _lockWaiters.Add(waiting with { Payload = new Reacquire((long)waiting.Payload!, Notified: false) });
            ServeNext();
            return;
        }

        var acquiring = _lockWaiters.All.FirstOrDefault(w => Equals(w.Caller, caller) && w.CallId == callId);
        if (acquiring is { Payload: null })
        {
            _lockWaiters.Remove(key);
            Timers.Cancel(acquiring.Key);
            caller.Tell(withdrawn ? new Withdrawn(callId) : new Flag(callId, false, false));
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        _watched.Remove(terminated.ActorRef);
        foreach (var waiter in _lockWaiters.RemoveAll(terminated.ActorRef).Concat(_conditionWaiters.RemoveAll(terminated.ActorRef)))
        {
            Timers.Cancel(waiter.Key);
        }

        if (Equals(_owner, terminated.ActorRef))
        {
            _owner = null;
            _depth = 0;
            _abandoned = true;
            ServeNext();
        }
    }

    private bool IsOwner(IActorRef caller, long thread) => _owner is not null && Equals(_owner, caller) && _ownerThread == thread;

    private void Grant(Waiter waiter)
    {
        var reacquire = waiter.Payload as Reacquire;
        _owner = waiter.Caller;
        _ownerThread = waiter.Thread;
        _depth = reacquire?.Depth ?? 1;
        Watch(waiter.Caller);
        waiter.Caller.Tell(new Flag(waiter.CallId, reacquire?.Notified ?? true, _abandoned));
        _abandoned = false;
    }

    private void ServeNext()
    {
        if (_owner is null && _lockWaiters.TakeFirst() is { } next)
        {
            Timers.Cancel(next.Key);
            Grant(next);
        }
    }

    private void Watch(IActorRef caller)
    {
        if (_watched.Add(caller))
        {
            Context.Watch(caller);
        }
    }

    /// <summary>A waiter taking the lock back: the depth to restore and the answer it gets (notified or not).</summary>
    private sealed record Reacquire(long Depth, bool Notified);
}
