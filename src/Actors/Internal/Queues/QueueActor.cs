using Akka.Actor;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Queues.QueueProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Queues;

/// <summary>
/// A queue as an actor ("queues are actor mailboxes"): it lives in the process that created the queue and holds the
/// encoded items, so puts never depend on a consumer (pain point 9) and its size is exact (pain point 22). Items leave
/// in arrival order, so each producer's items keep their order; parked gets and puts are served in arrival
/// order and their timeouts are decided here, so a timed-out get can never take an item later.
/// </summary>
/// <remarks>
/// <para>
/// Prefetch: a get of an unbounded queue may receive up to its <c>Max</c> items, only those already here.
/// Every item handed out stays leased to the consumer's process until it confirms it (<see cref="Taken"/>, sent by
/// the get that returns it) or gives it back (<see cref="Return"/>). The first item of a batch is the get's answer
/// and counts as taken, as a single item always did; the others are <em>prefetched</em>: they still count in the
/// size, and when a caller would otherwise find the queue empty (a parked get, a get that may not wait, a size
/// request) the consumers holding prefetched items are asked to give back what their program has not taken yet
/// (<see cref="Revoke"/>). Requests that need an exact answer (a get that may not wait, a size) wait for those
/// answers first.
/// </para>
/// <para>
/// Callers are watched: the parked requests of a process that died are dropped, and the items leased to it and not
/// confirmed go back to the queue in their original order.
/// </para>
/// </remarks>
internal sealed class QueueActor : ReceiveActor, IWithTimers
{
    private readonly long _maxsize;
    private readonly long _batchBytes;
    private readonly LinkedList<Entry> _items = new();
    private readonly WaiterQueue _getters = new();
    private readonly WaiterQueue _putters = new();
    private readonly WaiterQueue _joiners = new();

    // Gets that may not wait and size requests, answered once the consumers asked to give back items have answered.
    private readonly WaiterQueue _deferred = new();
    private readonly Dictionary<IActorRef, Holder> _holders = [];
    private readonly HashSet<IActorRef> _watched = [];
    private long _unfinished;
    private long _arrived;
    private long _handed;
    private long _prefetched;
    private int _revoking;

    /// <summary>
    /// Creates the queue; <paramref name="maxsize"/> zero or negative means unbounded. The size bound of one
    /// batch comes from this actor system's multiprocessing.queues.batch-max-bytes.
    /// </summary>
    public QueueActor(long maxsize)
    {
        _maxsize = maxsize;
        _batchBytes = QueueSettings.Create(Context.System.Settings.Config).BatchMaxBytes;
        Receive<Put>(OnPut);
        Receive<PutMany>(OnPutMany);
        Receive<Get>(OnGet);
        Receive<Taken>(OnTaken);
        Receive<Return>(OnReturn);
        Receive<GetSize>(OnGetSize);
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

    /// <summary>Items put and not yet returned by a get: here, or prefetched by a consumer whose program has not taken them.</summary>
    private long Size => _items.Count + _prefetched;

    private void OnPut(Put put)
    {
        if (_putters.Count == 0 && HasRoom)
        {
            Add(put.Item);
            Sender.Tell(_maxsize <= 0 ? new Number(put.CallId, 0) : new Done(put.CallId));
            Pump();
            return;
        }

        Park(_putters, new Waiter(Sender, put.CallId, 0, put.Item), put.TimeoutMs);
    }

    private void OnPutMany(PutMany put)
    {
        if (_maxsize > 0)
        {
            Sender.Tell(new Failed(put.CallId, RemoteError.From(new InvalidOperationException(
                $"Puts sent together need an unbounded queue; this one holds at most {_maxsize} items."))));
            return;
        }

        foreach (var item in put.Items)
        {
            Add(item);
        }

        Sender.Tell(new Number(put.CallId, 0));
        Pump();
    }

    private void OnGet(Get get)
    {
        if (_getters.Count == 0 && _items.Count > 0)
        {
            Hand(Sender, get.CallId, get.Max);
            Pump();
            return;
        }

        if (get.TimeoutMs == 0)
        {
            // "empty" only once the consumers holding prefetched items said what their programs took.
            if (RevokePrefetched(except: Sender))
            {
                Defer(new Waiter(Sender, get.CallId, 0, new DeferredGet(get.Max)));
            }
            else
            {
                Sender.Tell(new Flag(get.CallId, false, false));
            }

            return;
        }

        Park(_getters, new Waiter(Sender, get.CallId, 0, get.Max), get.TimeoutMs);
        RevokePrefetched(except: null);
    }

    private void OnGetSize(GetSize request)
    {
        // The asker's own confirmations arrived before this request; other consumers are asked what their programs took.
        if (RevokePrefetched(except: Sender))
        {
            Defer(new Waiter(Sender, request.CallId, 0));
        }
        else
        {
            Sender.Tell(new Number(request.CallId, Size));
        }
    }

    private void OnTaken(Taken taken)
    {
        if (!_holders.TryGetValue(Sender, out var holder))
        {
            return;
        }

        for (var node = holder.Leases.First; node is not null; node = node.Next)
        {
            if (node.Value.Seq == taken.Seq)
            {
                Release(holder, node);
                break;
            }
        }

        Forget(Sender, holder);
    }

    private void OnReturn(Return returned)
    {
        if (!_holders.TryGetValue(Sender, out var holder))
        {
            return;
        }

        var back = new List<Entry>();
        var given = returned.Returned.ToHashSet();
        var kept = returned.Kept.ToHashSet();
        for (var node = holder.Leases.First; node is not null && node.Value.Seq <= returned.ReceivedUpTo;)
        {
            var next = node.Next;
            if (given.Contains(node.Value.Seq))
            {
                back.Add(node.Value.Entry);
                Release(holder, node);
            }
            else if (!kept.Contains(node.Value.Seq))
            {
                Release(holder, node);
            }

            node = next;
        }

        if (holder.Revoking)
        {
            holder.Revoking = false;
            _revoking--;
        }

        Requeue(back);
        Forget(Sender, holder);
        Pump();
        Settle();
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

    private void Defer(Waiter waiter)
    {
        _deferred.Add(waiter);
        Watch(waiter.Caller);
    }

    private void Add(byte[] item)
    {
        _unfinished++;
        _items.AddLast(new Entry(++_arrived, item));
    }

    /// <summary>
    /// Sends a getter the head item and, from an unbounded queue, up to <paramref name="max"/> - 1 more of those held
    /// (within the batch size bound). All stay leased to the getter's process until confirmed, in case it dies.
    /// </summary>
    private void Hand(IActorRef caller, long callId, int max)
    {
        var holder = HolderOf(caller);
        var count = _maxsize > 0 ? 1 : Math.Min(Math.Max(max, 1), _items.Count);
        var values = new List<byte[]>(count);
        var firstSeq = _handed + 1;
        var bytes = 0L;
        while (values.Count < count && _items.First is { } node)
        {
            var entry = node.Value;
            if (values.Count > 0 && bytes + entry.Item.Length > _batchBytes)
            {
                break;
            }

            _items.RemoveFirst();
            bytes += entry.Item.Length;
            var prefetched = values.Count > 0;
            holder.Leases.AddLast(new Lease(++_handed, entry, prefetched));
            if (prefetched)
            {
                holder.Prefetched++;
                _prefetched++;
            }

            values.Add(entry.Item);
        }

        caller.Tell(new Items(callId, firstSeq, [.. values]));
    }

    /// <summary>
    /// Asks every consumer process (but <paramref name="except"/>) that holds prefetched items to give back those its
    /// program has not taken. Returns whether any such answer is outstanding.
    /// </summary>
    private bool RevokePrefetched(IActorRef? except)
    {
        foreach (var (consumer, holder) in _holders)
        {
            if (holder.Prefetched > 0 && !holder.Revoking && !Equals(consumer, except))
            {
                holder.Revoking = true;
                _revoking++;
                consumer.Tell(Revoke.Instance);
            }
        }

        return _revoking > 0;
    }

    /// <summary>Answers the deferred requests once no consumer still has to say what it gives back.</summary>
    private void Settle()
    {
        if (_revoking > 0)
        {
            return;
        }

        while (_deferred.TakeFirst() is { } waiter)
        {
            if (waiter.Payload is DeferredGet get)
            {
                if (_getters.Count == 0 && _items.Count > 0)
                {
                    Hand(waiter.Caller, waiter.CallId, get.Max);
                }
                else
                {
                    waiter.Caller.Tell(new Flag(waiter.CallId, false, false));
                }
            }
            else
            {
                waiter.Caller.Tell(new Number(waiter.CallId, Size));
            }
        }
    }

    /// <summary>Matches parked getters with items and parked putters with room until neither can move.</summary>
    private void Pump()
    {
        bool moved;
        do
        {
            moved = false;
            while (_items.Count > 0 && _getters.Count > 0)
            {
                // Waiting getters share what arrived (a batch of puts), so none has to be asked to give items back.
                var share = (_items.Count + _getters.Count - 1) / _getters.Count;
                var getter = _getters.TakeFirst()!;
                Timers.Cancel(getter.Key);
                Hand(getter.Caller, getter.CallId, Math.Min((int)getter.Payload!, share));
                moved = true;
            }

            while (HasRoom && _putters.TakeFirst() is { } putter)
            {
                Timers.Cancel(putter.Key);
                Add((byte[])putter.Payload!);
                putter.Caller.Tell(new Done(putter.CallId));
                moved = true;
            }
        }
        while (moved);

        // A getter still waits: no item may sit unused in a consumer's process meanwhile.
        if (_getters.Count > 0)
        {
            RevokePrefetched(except: null);
        }
    }

    /// <summary>Ends a parked request (timeout or cancel) with <paramref name="reply"/>; nothing if it was already served.</summary>
    private void Expire(IActorRef caller, long callId, IReply reply)
    {
        var waiter = _getters.Remove((caller, callId)) ?? _putters.Remove((caller, callId)) ?? _joiners.Remove((caller, callId))
            ?? _deferred.Remove((caller, callId));
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

        _deferred.RemoveAll(dead);

        // Items leased to the dead process and never confirmed go back to the queue, in their order.
        if (_holders.Remove(dead, out var holder))
        {
            var back = new List<Entry>();
            while (holder.Leases.First is { } node)
            {
                back.Add(node.Value.Entry);
                Release(holder, node);
            }

            if (holder.Revoking)
            {
                _revoking--;
            }

            Requeue(back);
        }

        Pump();
        Settle();
    }

    /// <summary>Puts items given back into the queue by their original arrival, ahead of any later item.</summary>
    private void Requeue(List<Entry> back)
    {
        back.Sort((a, b) => a.Order.CompareTo(b.Order));
        var node = _items.First;
        foreach (var entry in back)
        {
            while (node is not null && node.Value.Order < entry.Order)
            {
                node = node.Next;
            }

            if (node is null)
            {
                _items.AddLast(entry);
            }
            else
            {
                _items.AddBefore(node, entry);
            }
        }
    }

    private void Release(Holder holder, LinkedListNode<Lease> node)
    {
        if (node.Value.Prefetched)
        {
            holder.Prefetched--;
            _prefetched--;
        }

        holder.Leases.Remove(node);
    }

    private Holder HolderOf(IActorRef consumer)
    {
        if (!_holders.TryGetValue(consumer, out var holder))
        {
            holder = new Holder();
            _holders[consumer] = holder;
            Watch(consumer);
        }

        return holder;
    }

    /// <summary>Drops the record of a consumer that holds nothing and owes no answer.</summary>
    private void Forget(IActorRef consumer, Holder holder)
    {
        if (holder.Leases.Count == 0 && !holder.Revoking)
        {
            _holders.Remove(consumer);
        }
    }

    private void Watch(IActorRef caller)
    {
        if (_watched.Add(caller))
        {
            Context.Watch(caller);
        }
    }

    /// <summary>An item and its place in arrival order (items given back return to that place).</summary>
    private readonly record struct Entry(long Order, byte[] Item);

    /// <summary>An item handed to a consumer process under lease number <paramref name="Seq"/>.</summary>
    private readonly record struct Lease(long Seq, Entry Entry, bool Prefetched);

    /// <summary>A get that may not wait, deferred until the consumers asked to give back items have answered.</summary>
    private sealed record DeferredGet(int Max);

    /// <summary>What one consumer process holds: its leases in the order handed out.</summary>
    private sealed class Holder
    {
        public LinkedList<Lease> Leases { get; } = new();

        public int Prefetched { get; set; }

        public bool Revoking { get; set; }
    }
}
