using Akka.Actor;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>
/// Python's <c>RLock</c> as an actor: reentrant for its owner (process + thread), released only by its owner
/// (RL-03), waiters served in arrival order, and released for a dead owner so the next one is told it was
/// abandoned (RL-04 target). <c>ConditionActor</c> builds its lock on this class.
/// </summary>
internal class RLockActor : ReceiveActor, IWithTimers
{
    private readonly HashSet<IActorRef> _watched = [];
    private long _ownerThread;
    private bool _abandonedFlag;

    public RLockActor()
    {
        Receive<Acquire>(OnAcquire);
        Receive<Release>(OnRelease);
        Receive<GetValue>(m => Sender.Tell(new Number(m.CallId, Depth)));
        Receive<Cancel>(m => Expire(Sender, m.CallId, withdrawn: true));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, withdrawn: false));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Requests for the lock, in arrival order.</summary>
    protected WaiterQueue LockWaiters { get; } = new();

    /// <summary>The owning process's reply actor, or <see langword="null"/> when free.</summary>
    protected IActorRef? Owner { get; private set; }

    /// <summary>How many times the owner holds the lock.</summary>
    protected long Depth { get; set; }

    /// <summary>What a release by a non-owner says.</summary>
    protected virtual string NotOwnerMessage => "Attempt to release a recursive lock not owned by this thread (RL-03).";

    public static Props Props() => Akka.Actor.Props.Create(() => new RLockActor());

    protected bool IsOwner(IActorRef caller, long thread) => Owner is not null && Equals(Owner, caller) && _ownerThread == thread;

    /// <summary>Gives the lock up completely (a condition's wait): the next waiter is served.</summary>
    protected void Free()
    {
        Owner = null;
        Depth = 0;
        ServeNext();
    }

    /// <summary>Queues a request for the lock; a positive timeout is enforced here, so only this actor decides.</summary>
    protected void Park(Waiter waiter, long timeoutMs)
    {
        LockWaiters.Add(waiter);
        Watch(waiter.Caller);
        if (timeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(waiter.Caller, waiter.CallId), TimeSpan.FromMilliseconds(timeoutMs));
        }
    }

    /// <summary>Makes <paramref name="waiter"/> the owner and answers it; a subclass may answer differently.</summary>
    protected virtual void Grant(Waiter waiter)
    {
        TakeOwnership(waiter, 1);
        waiter.Caller.Tell(new Flag(waiter.CallId, true, TakeAbandoned()));
    }

    protected void TakeOwnership(Waiter waiter, long depth)
    {
        Owner = waiter.Caller;
        _ownerThread = waiter.Thread;
        Depth = depth;
        Watch(waiter.Caller);
    }

    /// <summary>Whether the lock was abandoned by a dead owner since the last grant (told once).</summary>
    protected bool TakeAbandoned()
    {
        var abandoned = _abandonedFlag;
        _abandonedFlag = false;
        return abandoned;
    }

    /// <summary>A timeout fired (<paramref name="withdrawn"/> false) or the caller withdrew its request.</summary>
    protected virtual void Expire(IActorRef caller, long callId, bool withdrawn)
    {
        if (LockWaiters.Remove((caller, callId)) is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            caller.Tell(withdrawn ? new Withdrawn(callId) : new Flag(callId, false, false));
        }
    }

    /// <summary>A caller's process died: its requests go, and a lock it owned is released as abandoned.</summary>
    protected virtual void OnTerminated(Terminated terminated)
    {
        _watched.Remove(terminated.ActorRef);
        Drop(LockWaiters, terminated.ActorRef);
        if (Equals(Owner, terminated.ActorRef))
        {
            _abandonedFlag = true;
            Free();
        }
    }

    protected void Drop(WaiterQueue queue, IActorRef caller)
    {
        foreach (var waiter in queue.RemoveAll(caller))
        {
            Timers.Cancel(waiter.Key);
        }
    }

    protected void Watch(IActorRef caller)
    {
        if (_watched.Add(caller))
        {
            Context.Watch(caller);
        }
    }

    private void OnAcquire(Acquire acquire)
    {
        if (Owner is null && LockWaiters.Count == 0)
        {
            Grant(new Waiter(Sender, acquire.CallId, acquire.Thread));
            return;
        }

        if (IsOwner(Sender, acquire.Thread))
        {
            Depth++;
            Sender.Tell(new Flag(acquire.CallId, true, false));
            return;
        }

        if (acquire.TimeoutMs == 0)
        {
            Sender.Tell(new Flag(acquire.CallId, false, false));
            return;
        }

        Park(new Waiter(Sender, acquire.CallId, acquire.Thread), acquire.TimeoutMs);
    }

    private void OnRelease(Release release)
    {
        if (!IsOwner(Sender, release.Thread) || Depth == 0)
        {
            Sender.Tell(new Failed(release.CallId, RemoteError.From(new SynchronizationLockException(NotOwnerMessage))));
            return;
        }

        Depth--;
        Sender.Tell(new Done(release.CallId));
        if (Depth == 0)
        {
            Free();
        }
    }

    private void ServeNext()
    {
        if (Owner is null && LockWaiters.TakeFirst() is { } next)
        {
            Timers.Cancel(next.Key);
            Grant(next);
        }
    }
}
