using Akka.Actor;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>
/// A counting semaphore as an actor: Python's <c>Semaphore</c>, <c>BoundedSemaphore</c> and (value 1, bounded,
/// holder tracked) <c>Lock</c>. Waiters are served in arrival order. For a Lock, the process holding it is
/// watched: if it dies, the lock is released and the next owner learns it was abandoned (L-09 target).
/// </summary>
internal sealed class SemaphoreActor : ReceiveActor, IWithTimers
{
    private readonly bool _isLock;
    private readonly long? _max;
    private readonly WaiterQueue _waiters = new();
    private readonly HashSet<IActorRef> _watched = [];
    private long _value;
    private IActorRef? _holder;
    private bool _abandoned;

    public SemaphoreActor(long initial, long? max, bool isLock)
    {
        _value = initial;
        _max = max;
        _isLock = isLock;
        Receive<Acquire>(OnAcquire);
        Receive<Release>(OnRelease);
        Receive<GetValue>(m => Sender.Tell(new Number(m.CallId, _value)));
        Receive<Cancel>(m => Expire(Sender, m.CallId, reply: false));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, reply: true));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(long initial, long? max, bool isLock) =>
        Akka.Actor.Props.Create(() => new SemaphoreActor(initial, max, isLock));

    private void OnAcquire(Acquire acquire)
    {
        if (_value > 0 && _waiters.Count == 0)
        {
            Grant(new Waiter(Sender, acquire.CallId, acquire.Thread));
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
        if (_max is { } max && _value >= max)
        {
            Sender.Tell(new Failed(release.CallId, RemoteError.From(new SemaphoreFullException(
                _isLock ? "The lock is not held: released too many times (L-06)." : "Semaphore or lock released too many times (BS-01)."))));
            return;
        }

        _value++;
        if (_isLock)
        {
            _holder = null;
        }

        Sender.Tell(new Done(release.CallId));
        ServeWaiters();
    }

    private void Grant(Waiter waiter)
    {
        _value--;
        var abandoned = false;
        if (_isLock)
        {
            _holder = waiter.Caller;
            Watch(waiter.Caller);
            abandoned = _abandoned;
            _abandoned = false;
        }

        waiter.Caller.Tell(new Flag(waiter.CallId, true, abandoned));
    }

    private void ServeWaiters()
    {
        while (_value > 0 && _waiters.TakeFirst() is { } next)
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

        if (_isLock && Equals(_holder, terminated.ActorRef))
        {
            // The holder's process died: release for it, and tell the next owner.
            _holder = null;
            _value++;
            _abandoned = true;
            ServeWaiters();
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
