using Akka.Actor;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Sharing.CallProtocol;
using static Multiprocessing.Internal.Sync.ConditionProtocol;

namespace Multiprocessing.Internal.Sync;

/// <summary>
/// Python's <c>Condition</c> as an actor, with its own reentrant lock (C-01): the lock behaves as
/// <see cref="RLockActor"/> (it derives from it: owner = process + thread, depth, arrival order, released for a dead owner). A wait
/// releases the lock completely and parks the caller with its depth; a notify, a timeout or a withdrawal moves it to
/// the back of the lock's queue, and it is answered only once it owns the lock again at the same depth (C-04), as
/// Python's <c>wait</c> returns. Waiters whose timeout fired are no longer parked, so notify does not count them
/// (C-06). A process that dies loses its waits and the lock it held.
/// </summary>
internal sealed class ConditionActor : RLockActor
{
    /// <summary>Parked waits; the payload is the lock depth to restore.</summary>
    private readonly WaiterQueue _conditionWaiters = new();

    public ConditionActor()
    {
        Receive<Wait>(OnWait);
        Receive<Notify>(OnNotify);
    }

    protected override string NotOwnerMessage => "Attempt to release a condition's lock not owned by this thread (C-01, RL-03).";

    public static new Props Props() => Akka.Actor.Props.Create(() => new ConditionActor());

    /// <summary>A waiter taking the lock back gets its depth and is told whether it was notified (C-03, C-04).</summary>
    protected override void Grant(Waiter waiter)
    {
        if (waiter.Payload is not Reacquire reacquire)
        {
            base.Grant(waiter);
            return;
        }

        TakeOwnership(waiter, reacquire.Depth);
        waiter.Caller.Tell(new Flag(waiter.CallId, reacquire.Notified, TakeAbandoned()));
    }

    /// <summary>
    /// A timeout or a withdrawal. A parked wait stops waiting and queues to take the lock back (answered false once
    /// it owns it, as Python's interrupted wait returns with the lock held); a parked acquire is answered at once
    /// (false on timeout, <see cref="Withdrawn"/> when withdrawn); a waiter already taking the lock back is left alone.
    /// </summary>
    protected override void Expire(IActorRef caller, long callId, bool withdrawn)
    {
        if (_conditionWaiters.Remove((caller, callId)) is { } waiting)
        {
            Timers.Cancel(waiting.Key);
            LockWaiters.Add(waiting with { Payload = new Reacquire((long)waiting.Payload!, Notified: false) });
            if (Owner is null)
            {
                Free();
            }

            return;
        }

        if (LockWaiters.All.FirstOrDefault(w => Equals(w.Caller, caller) && w.CallId == callId) is { Payload: null })
        {
            base.Expire(caller, callId, withdrawn);
        }
    }

    protected override void OnTerminated(Terminated terminated)
    {
        Drop(_conditionWaiters, terminated.ActorRef);
        base.OnTerminated(terminated);
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
        var waiter = new Waiter(Sender, wait.CallId, wait.Thread, Depth);
        if (wait.TimeoutMs == 0)
        {
            LockWaiters.Add(waiter with { Payload = new Reacquire(Depth, Notified: false) });
        }
        else
        {
            _conditionWaiters.Add(waiter);
            if (wait.TimeoutMs > 0)
            {
                Timers.StartSingleTimer(waiter.Key, new WaitExpired(Sender, wait.CallId), TimeSpan.FromMilliseconds(wait.TimeoutMs));
            }
        }

        Free();
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
            LockWaiters.Add(waiter with { Payload = new Reacquire((long)waiter.Payload!, Notified: true) });
        }

        Sender.Tell(new Done(notify.CallId));
    }

    /// <summary>A waiter taking the lock back: the depth to restore and the answer it gets (notified or not).</summary>
    private sealed record Reacquire(long Depth, bool Notified);
}
