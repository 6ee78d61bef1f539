using System.Collections.Concurrent;
using Akka.Actor;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Queues.QueueProtocol;

namespace Multiprocessing.Internal.Queues;

/// <summary>
/// The items this process prefetched from one queue and its program has not taken yet (see <see cref="QueueActor"/>).
/// One per queue and process, shared by every queue object of that queue here: the queue leases items to a process,
/// identified by its reply actor (<see cref="Caller.Self"/>). Answers arrive through the reply actor, which files the
/// prefetched items here before the waiting get resumes, so a <see cref="Revoke"/> (handled by the same actor) always
/// sees every item received before it.
/// </summary>
internal sealed class PrefetchBuffer
{
    // By the queue's full path: a reference resolved from a path (a queue object that travelled) has no uid, the
    // sender of an answer has one, and the two are not equal as references.
    private static readonly ConcurrentDictionary<string, PrefetchBuffer> Buffers = new();
    private static readonly ConcurrentDictionary<IActorRef, PrefetchBuffer> ByReference = new();
    private static int _hookInstalled;

    private readonly IActorRef _queue;
    private readonly LinkedList<(long Seq, byte[] Item)> _items = new();
    private long _receivedUpTo;

    private PrefetchBuffer(IActorRef queue) => _queue = queue;

    /// <summary>The buffer of <paramref name="queue"/> in this process.</summary>
    public static PrefetchBuffer For(IActorRef queue) =>
        ByReference.TryGetValue(queue, out var buffer) ? buffer : ByReference.GetOrAdd(queue, Buffers.GetOrAdd(Key(queue), _ => Create(queue)));

    /// <summary>
    /// Files the answer to a get (on the reply actor, before the get resumes): the first item is the get's when
    /// <paramref name="claimed"/>, the others wait here. An answer nobody waits for any more goes back at once.
    /// </summary>
    /// <param name="queue">The reference the get was sent to (a manager's guard in front of the queue actor).</param>
    /// <param name="from">The queue actor that answered; its <see cref="Revoke"/> requests will come from there.</param>
    /// <param name="items">The answer.</param>
    /// <param name="claimed">Whether a get still waited for the answer.</param>
    public static void Received(IActorRef queue, IActorRef from, Items items, bool claimed)
    {
        var buffer = For(queue);
        if (!Equals(queue, from) && !ByReference.ContainsKey(from))
        {
            Buffers.TryAdd(Key(from), buffer);
            ByReference.TryAdd(from, buffer);
        }

        lock (buffer._items)
        {
            buffer._receivedUpTo = Math.Max(buffer._receivedUpTo, items.FirstSeq + items.Values.Length - 1);
            for (var i = claimed ? 1 : 0; i < items.Values.Length; i++)
            {
                buffer._items.AddLast((items.FirstSeq + i, items.Values[i]));
            }
        }

        if (!claimed)
        {
            buffer.Return(all: true);
        }
    }

    /// <summary>The queue asks for items back (on the reply actor): the older half goes back (at least one item).</summary>
    public static void Revoked(IActorRef queue)
    {
        if (Buffers.TryGetValue(Key(queue), out var buffer))
        {
            buffer.Return(all: false);
        }
        else
        {
            // Nothing was ever received from that queue here; the answer still ends its wait.
            queue.Tell(new Return(0, [], []), Caller.Self);
        }
    }

    /// <summary>Takes the oldest prefetched item, if any; the caller confirms it to the queue before returning it.</summary>
    public bool TryTake(out long seq, out byte[] item)
    {
        lock (_items)
        {
            if (_items.First is { } first)
            {
                _items.RemoveFirst();
                (seq, item) = first.Value;
                return true;
            }
        }

        seq = 0;
        item = [];
        return false;
    }

    /// <summary>
    /// Gives items not taken yet back to the queue: all of them, or the older half (at least one). The asking consumer
    /// then receives them in order, and this process keeps the newer ones, so while one consumer is busy elsewhere
    /// and another takes what it gives back, both see each producer's items in order. Also tells the queue which of
    /// the items it received were taken.
    /// </summary>
    public void Return(bool all)
    {
        // Sent under the lock: two answers of this process reach the queue in the order they describe its state.
        lock (_items)
        {
            var keep = all ? 0 : _items.Count / 2;
            var give = _items.Count - keep;
            var returned = new long[give];
            var kept = new long[keep];
            var i = 0;
            for (var node = _items.First; node is not null;)
            {
                var next = node.Next;
                if (i < give)
                {
                    returned[i] = node.Value.Seq;
                    _items.Remove(node);
                }
                else
                {
                    kept[i - give] = node.Value.Seq;
                }

                i++;
                node = next;
            }

            _queue.Tell(new Return(_receivedUpTo, returned, kept), Caller.Self);
        }
    }

    /// <summary>Gives every item not taken back to the queue, if there are any (Close()); true when some went back.</summary>
    public bool ReturnAll()
    {
        bool any;
        lock (_items)
        {
            any = _items.Count > 0;
        }

        if (any)
        {
            Return(all: true);
        }

        return any;
    }

    private static string Key(IActorRef queue) =>
        queue.Path.ToStringWithAddress(((ExtendedActorSystem)MultiprocessingRuntime.System).Provider.DefaultAddress);

    private static PrefetchBuffer Create(IActorRef queue)
    {
        // A process that ends normally gives its prefetched items back before it leaves (a killed one: see QueueActor),
        // also when it ends at once (ProcessEnd.ExitNow): a call to each queue after the return is its acknowledgement.
        if (Interlocked.Exchange(ref _hookInstalled, 1) == 0)
        {
            ProcessEnd.Register("return-prefetched-queue-items", () => Task.WhenAll(Buffers.Values
                .Where(buffer => buffer.ReturnAll())
                .Select(buffer => Caller.CallAsync(
                    buffer._queue, id => new QueueProtocol.GetSize(id), "Queue (returning prefetched items)", CancellationToken.None))));
        }

        return new PrefetchBuffer(queue);
    }
}
