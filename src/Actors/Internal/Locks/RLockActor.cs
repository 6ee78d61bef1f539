using Akka.Actor;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>
/// Python's <c>RLock</c> as an actor: reentrant for its owner (process + thread), released only by its owner
/// (RL-03), waiters served in arrival order, and released for a dead owner so the next one is told it was
/// abandoned (RL-04 target).
/// </summary>
internal sealed class RLockActor : ReceiveActor, IWithTimers
{
    private readonly WaiterQueue _waiters = new();
    private readonly HashSet<IActorRef> _watched = [];
    private IActorRef? _owner;
    private long _ownerThread;
    private long _depth;
    private bool _abandoned;

    public RLockActor()
    {
        Receive<Acquire>(OnAcquire);
        Receive<Release>(OnRelease);
        Receive<GetValue>(m => Sender.Tell(new Number(m.CallId, _depth)));
        Receive<Cancel>(m => Expire(Sender, m.CallId, reply: false));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, reply: true));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props() => Akka.Actor.Props.Create(() => new RLockActor());

    private void OnAcquire(Acquire acquire)
    {
        if (_owner is null && _waiters.Count == 0)
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
        _waiters.Add(waiter);
        Watch(Sender);
        if (acquire.TimeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(Sender, acquire.CallId), TimeSpan.FromMilliseconds(acquire.TimeoutMs));
        }
    }

    private void OnRelease(Release release)
    {
        if (!IsOwner(Sender, release.Thread) || _depth == 0)
        {
            Sender.Tell(new Failed(release.CallId, RemoteError.From(new SynchronizationLockException(
                "Attempt to release a recursive lock not owned by this thread (RL-03)."))));
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

    private bool IsOwner(IActorRef caller, long thread) => Equals(_owner, caller) && _ownerThread == thread;

    private void Grant(Waiter waiter)
    {
        _owner = waiter.Caller;
        _ownerThread = waiter.Thread;
        _depth = 1;
        Watch(waiter.Caller);
        waiter.Caller.Tell(new Flag(waiter.CallId, true, _abandoned));
        _abandoned = false;
    }

    private void ServeNext()
    {
        if (_owner is null && _waiters.TakeFirst() is { } next)
        {
            Timers.Cancel(next.Key);
            Grant(next);
        }
    }

    private void Expire(IActorRef caller, long callId, bool reply)
    {
        if (_waiters.Remove((caller, callId)) is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            caller.Tell(reply ? new Flag(callId, false, false) : new Withdrawn(callId));
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        _watched.Remove(terminated.ActorRef);
        foreach (var waiter in _waiters.RemoveAll(terminated.ActorRef))
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

    private void Watch(IActorRef caller)
    {
        if (_watched.Add(caller))
        {
            Context.Watch(caller);
        }
    }
}
