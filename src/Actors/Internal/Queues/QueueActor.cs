using Akka.Actor;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Queues.QueueProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Queues;

/// <summary>
/// A queue as an actor ("queues are actor mailboxes"): it lives in the process that created the queue and holds the
/// encoded items, so puts never depend on a consumer (pain point 9) and its size is exact (pain point 22). Items leave
/// in arrival order, so each producer's items keep their order; parked gets and puts are served in arrival
/// order and their timeouts are decided here, so a timed-out get can never take an item later. Callers are watched:
/// the parked requests of a process that died are dropped, and an item handed to a process that died before
/// confirming it (<see cref="Taken"/>) goes back to the head of the queue.
/// </summary>
internal sealed class QueueActor : ReceiveActor, IWithTimers
{
    private readonly long _maxsize;
    private readonly LinkedList<byte[]> _items = new();
    private readonly WaiterQueue _getters = new();
    private readonly WaiterQueue _putters = new();
    private readonly WaiterQueue _joiners = new();
    private readonly Dictionary<(IActorRef Caller, long CallId), (long Seq, byte[] Item)> _inFlight = [];
    private readonly HashSet<IActorRef> _watched = [];
    private long _unfinished;
    private long _handed;

    /// <summary>Creates the queue; <paramref name="maxsize"/> zero or negative means unbounded .</summary>
    public QueueActor(long maxsize)
    {
        _maxsize = maxsize;
        Receive<Put>(OnPut);
        Receive<Get>(OnGet);
        Receive<Taken>(m => _inFlight.Remove((Sender, m.CallId)));
        Receive<GetSize>(m => Sender.Tell(new Number(m.CallId, _items.Count)));
        Receive<IsFull>(m => Sender.Tell(new Flag(m.CallId, !HasRoom, false)));
        Receive<TaskDone>(OnTaskDone);
        Receive<Join>(OnJoin);
        Receive<Cancel>(m => Expire(Sender, m.CallId, new Withdrawn(m.CallId)));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, new Flag(m.CallId, false, false)));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(long maxsize) => Akka.Actor.Props.Create(() => new QueueActor(maxsize));

    private bool HasRoom => _maxsize <= 0 || _items.Count < _maxsize;

    private void OnPut(Put put)
    {
        if (_putters.Count == 0 && HasRoom)
        {
            _unfinished++;
            _items.AddLast(put.Item);
            Sender.Tell(_maxsize <= 0 ? new Number(put.CallId, 0) : new Done(put.CallId));
            Pump();
            return;
        }

        Park(_putters, new Waiter(Sender, put.CallId, 0, put.Item), put.TimeoutMs);
    }

    private void OnGet(Get get)
    {
        if (_getters.Count == 0 && _items.First is { } first)
        {
            _items.RemoveFirst();
            Hand(Sender, get.CallId, first.Value);
            Pump();
            return;
        }

        Park(_getters, new Waiter(Sender, get.CallId, 0), get.TimeoutMs);
    }

    private void OnTaskDone(TaskDone done)
    {
        if (_unfinished <= 0)
        {
            Sender.Tell(new Failed(done.CallId, RemoteError.From(new InvalidOperationException(
                "task_done() called too many times: more TaskDone() calls than items put (JQ-02)."))));
            return;
        }

        _unfinished--;
        Sender.Tell(new Done(done.CallId));
        if (_unfinished == 0)
        {
            while (_joiners.TakeFirst() is { } joiner)
            {
                Timers.Cancel(joiner.Key);
                joiner.Caller.Tell(new Flag(joiner.CallId, true, false));
            }
        }
    }

    private void OnJoin(Join join)
    {
        if (_unfinished == 0)
        {
            Sender.Tell(new Flag(join.CallId, true, false));
            return;
        }

        Park(_joiners, new Waiter(Sender, join.CallId, 0), join.TimeoutMs);
    }

    /// <summary>Parks a request that cannot proceed, or answers "could not" at once when it may not wait.</summary>
    private void Park(WaiterQueue queue, Waiter waiter, long timeoutMs)
    {
        if (timeoutMs == 0)
        {
            waiter.Caller.Tell(new Flag(waiter.CallId, false, false));
            return;
        }

        queue.Add(waiter);
        Watch(waiter.Caller);
        if (timeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(waiter.Caller, waiter.CallId), TimeSpan.FromMilliseconds(timeoutMs));
        }
    }

    /// <summary>Sends an item to a getter and keeps it until the getter confirms, in case its process dies meanwhile.</summary>
    private void Hand(IActorRef caller, long callId, byte[] item)
    {
        _inFlight[(caller, callId)] = (++_handed, item);
        Watch(caller);
        caller.Tell(new Data(callId, item));
    }

    /// <summary>Matches parked getters with items and parked putters with room until neither can move.</summary>
    private void Pump()
    {
        bool moved;
        do
        {
            moved = false;
            while (_items.First is { } first && _getters.TakeFirst() is { } getter)
            {
                Timers.Cancel(getter.Key);
                _items.RemoveFirst();
                Hand(getter.Caller, getter.CallId, first.Value);
                moved = true;
            }

            while (HasRoom && _putters.TakeFirst() is { } putter)
            {
                Timers.Cancel(putter.Key);
                _unfinished++;
                _items.AddLast((byte[])putter.Payload!);
                putter.Caller.Tell(new Done(putter.CallId));
                moved = true;
            }
        }
        while (moved);
    }

    /// <summary>Ends a parked request (timeout or cancel) with <paramref name="reply"/>; nothing if it was already served.</summary>
    private void Expire(IActorRef caller, long callId, IReply reply)
    {
        var waiter = _getters.Remove((caller, callId)) ?? _putters.Remove((caller, callId)) ?? _joiners.Remove((caller, callId));
        if (waiter is not null)
        {
            Timers.Cancel(waiter.Key);
            caller.Tell(reply);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        var dead = terminated.ActorRef;
        _watched.Remove(dead);
        foreach (var waiter in _getters.RemoveAll(dead).Concat(_putters.RemoveAll(dead)).Concat(_joiners.RemoveAll(dead)))
        {
            Timers.Cancel(waiter.Key);
        }

        // Items sent to the dead process but never confirmed go back to the head of the queue, in their order.
        var lost = _inFlight.Where(e => Equals(e.Key.Caller, dead)).OrderByDescending(e => e.Value.Seq).ToList();
        foreach (var (key, (_, item)) in lost)
        {
            _inFlight.Remove(key);
            _items.AddFirst(item);
        }

        Pump();
    }

    private void Watch(IActorRef caller)
    {
        if (_watched.Add(caller))
        {
            Context.Watch(caller);
        }
    }
}
