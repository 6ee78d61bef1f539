using Akka.Actor;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A FIFO queue shared by processes (Python's <c>multiprocessing.Queue</c>). It lives as an actor in the process that
/// created it, which holds the items; the object travels to <see cref="Process"/> children and <see cref="Pool"/> tasks
/// as an argument (also after creation, unlike Python's Q-13). Where <c>System.Collections.Generic</c> is imported,
/// write <c>Multiprocessing.Queue&lt;T&gt;</c> or an alias.
/// </summary>
/// <remarks>
/// <para>
/// Differences from Python, by design: <see cref="Put"/> encodes the item in the caller, so an unserializable item
/// throws there (Q-08 target). A put into a bounded queue returns once the queue holds the item. A put into an
/// unbounded queue (after the first) does not wait for the acknowledgement, like Python's buffered put, but unlike
/// Python the process keeps order and consistency for you: every later call it makes on any shared object (a get, a
/// lock release, an event set, a join...), every pool task result and the end of the process first wait for those
/// acknowledgements. So a producer can exit at any time without waiting for consumers (Q-12 target, pain point 9),
/// nothing is lost, and a following <see cref="Get"/> in the same process sees the item (no Q-06 delay). Puts made
/// while earlier ones are still on their way travel together in one message (<c>multiprocessing.queues.put-batch</c>);
/// a lone put leaves at once.
/// <see cref="Qsize"/>, <see cref="Empty"/> and <see cref="Full"/> are exact snapshots on every platform (pain point 22):
/// <see cref="Qsize"/> counts the items put and not yet returned by a get, including those prefetched by a consumer.
/// Items of one producer arrive in the order it put them; items of different producers interleave.
/// </para>
/// <para>
/// Prefetch: a get of an unbounded queue may bring up to <c>multiprocessing.queues.prefetch</c> items that the queue
/// already holds (never waiting to fill a batch: a lone consumer gets each item as soon as it is there). The first is
/// returned; the others wait in the consumer's process for its next gets, which return them without a round trip.
/// They stay leased in the queue, not gone: each get confirms its item to the queue before it returns it, and items no
/// get has returned yet go back to the queue, ahead of later items and in their order, when another process would
/// otherwise wait for an item or find the queue empty (the queue asks the holder for them: it gives back the older half,
/// at least one item, and keeps the newer ones), when <see cref="Close"/> is called on a queue object of the consuming
/// process, when that process ends (normally, or killed: once its death is noticed, within about two seconds). So no
/// consumer waits while an item is prefetched elsewhere, and
/// <see cref="GetNowait"/> raises <see cref="QueueEmptyException"/> only when no item is in the queue nor prefetched
/// anywhere and not yet returned by a get; the one remaining window is an item on its way to another process as the
/// answer to its own get, which belongs to that get. A bounded queue (maxsize &gt; 0) hands out one item per get, so
/// maxsize, <see cref="Full"/> and a waiting <see cref="Put"/> keep their exact meaning. With a single consumer every
/// item comes in queue order. With several consumer processes, an item given back by one of them goes to the
/// next get ahead of newer items, so a consumer can receive, after a producer's newer items, an older one that another
/// consumer had prefetched and gave back; Python's consumers each see every producer's items in order. Set
/// <c>multiprocessing.queues.prefetch = 1</c> where that order matters.
/// </para>
/// <para>
/// Consumers that die: a get still waiting when its process dies is dropped, so no item is sent to a dead process once
/// its death is known. An item sent to a consumer that dies before its get returned it goes back to the head of the
/// queue when the death is noticed and the next get takes it: it is not lost. In the narrow case where the dying
/// process's get had already returned the item but its confirmation had not left the process, that item is delivered a
/// second time. Once confirmed the item belongs to the consumer, as in Python: a killed consumer takes with it at most
/// the items its gets returned.
/// </para>
/// <para>
/// When the process that created the queue exits, calls from other processes raise
/// <see cref="RemoteObjectUnavailableException"/> instead of hanging. Cancelling an async call withdraws it; if the
/// queue had already served it, the call completes normally, so cancelling never loses an item.
/// </para>
/// </remarks>
/// <typeparam name="T">The item type; items travel as MessagePack (contractless), like task arguments.</typeparam>
public class Queue<T> : ISharedObject<Queue<T>>
{
    private readonly IActorRef _actor;
    private volatile bool _closed;

    // Learnt from the first put's acknowledgement: puts into an unbounded queue cannot fail for lack of room, so later
    // ones are sent without waiting (see QueueClient.PutLater).
    private volatile bool _unbounded;

    /// <summary>Creates a queue in this process.</summary>
    /// <param name="maxsize">The most items it holds; zero or negative means unbounded .</param>
    public Queue(int maxsize = 0)
        : this(SharedObjects.Create(QueueActor.Props(maxsize), "queue"))
    {
    }

    private protected Queue(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>The queue's actor, for the members a subclass adds.</summary>
    private protected IActorRef Actor => _actor;

    /// <summary>The class name without its generic arity, for error messages.</summary>
    private protected string Kind => GetType().Name.Split('`')[0];

    /// <summary>Adds an item at the tail, waiting for room in a full bounded queue .</summary>
    /// <param name="item">The item; it is encoded here, in the caller.</param>
    /// <param name="block">False: do not wait for room (the timeout is ignored), as Python's <c>put(x, False)</c>.</param>
    /// <param name="timeout">How long to wait for room; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <exception cref="QueueFullException">The queue stayed full (at once, or for the whole timeout); the item was not added.</exception>
    /// <exception cref="TaskSerializationException">The item cannot be serialized (Q-08 target).</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed .</exception>
    public void Put(T item, bool block = true, TimeSpan? timeout = null) =>
        PutAsync(item, block, timeout).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Put"/>. A closed queue or an unserializable item throws at the call.</summary>
    /// <param name="item">The item.</param>
    /// <param name="block">False: do not wait for room.</param>
    /// <param name="timeout">How long to wait for room; <see langword="null"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting for room; the put is withdrawn unless the queue already took the item.</param>
    /// <returns>A task that completes once the queue holds the item.</returns>
    /// <exception cref="QueueFullException">The queue stayed full; the item was not added.</exception>
    /// <exception cref="TaskSerializationException">The item cannot be serialized.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed.</exception>
    public Task PutAsync(T item, bool block = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            throw QueueClient.Closed();
        }

        var bytes = QueueClient.Encode(item);
        if (_unbounded)
        {
            QueueClient.PutLater(_actor, bytes, $"{Kind}.Put");
            return Task.CompletedTask;
        }

        return PutAndLearnAsync(bytes, block, timeout, cancellationToken);
    }

    private async Task PutAndLearnAsync(byte[] bytes, bool block, TimeSpan? timeout, CancellationToken cancellationToken) =>
        _unbounded = await QueueClient.PutAsync(_actor, bytes, block, timeout, $"{Kind}.Put", cancellationToken).ConfigureAwait(false);

    /// <summary>Adds an item without waiting (Python's <c>put_nowait</c>, Q-04).</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="QueueFullException">The queue is full.</exception>
    /// <exception cref="TaskSerializationException">The item cannot be serialized.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed.</exception>
    public void PutNowait(T item) => Put(item, false);

    /// <summary>Removes and returns the item at the head, waiting for one while the queue is empty .</summary>
    /// <param name="block">False: do not wait (the timeout is ignored), as Python's <c>get(False)</c>.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <returns>The item.</returns>
    /// <exception cref="QueueEmptyException">
    /// The queue stayed empty (at once, or for the whole timeout). Items other consumer processes prefetched and no get
    /// returned yet do not count as empty: the queue asks for them first (see the remarks for the one remaining window).
    /// </exception>
    /// <exception cref="TaskSerializationException">The item cannot be read as <typeparamref name="T"/>; it is consumed.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed .</exception>
    public T Get(bool block = true, TimeSpan? timeout = null) =>
        GetAsync(block, timeout).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Get"/>.</summary>
    /// <param name="block">False: do not wait.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting; the get is withdrawn, or returns the item if one was already on its way.</param>
    /// <returns>The item.</returns>
    /// <exception cref="QueueEmptyException">The queue stayed empty.</exception>
    /// <exception cref="TaskSerializationException">The item cannot be read as <typeparamref name="T"/>.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed.</exception>
    public Task<T> GetAsync(bool block = true, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _closed
            ? throw QueueClient.Closed()
            : QueueClient.GetAsync<T>(_actor, block, timeout, $"{Kind}.Get", cancellationToken);

    /// <summary>Takes an item without waiting (Python's <c>get_nowait</c>, Q-04).</summary>
    /// <returns>The item.</returns>
    /// <exception cref="QueueEmptyException">The queue is empty, and no other consumer process holds a prefetched item no get returned.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed.</exception>
    public T GetNowait() => Get(false);

    /// <summary>
    /// The number of items put and not yet returned by a get: exact, a snapshot that other processes may change at once
    /// (pain point 22). Items another consumer process prefetched and did not return yet count; the queue first asks
    /// those processes which of them their gets returned (one message each way), so a consumer that returned an item
    /// before telling this process so (through a lock, an event, another queue...) is never counted as still holding it.
    /// </summary>
    /// <returns>The count.</returns>
    public int Qsize() => QueueClient.Qsize(_actor, $"{Kind}.Qsize");

    /// <summary>Whether no item was put and not yet returned by a get (an exact snapshot, as <see cref="Qsize"/>).</summary>
    /// <returns><see langword="true"/> when empty.</returns>
    public bool Empty() => Qsize() == 0;

    /// <summary>Whether a bounded queue holds maxsize items (an exact snapshot); never true when unbounded.</summary>
    /// <returns><see langword="true"/> when full.</returns>
    public bool Full() => QueueClient.Full(_actor, $"{Kind}.Full");

    /// <summary>
    /// Closes this queue object: it refuses further <see cref="Put"/> and <see cref="Get"/> with
    /// <see cref="InvalidOperationException"/> (Q-09). Other objects of the same queue, in this or other processes,
    /// keep working, and items already put stay in the queue; items this process prefetched and no get returned go
    /// back to it. Closing twice is allowed.
    /// </summary>
    public void Close()
    {
        _closed = true;
        QueueClient.ReturnPrefetched(_actor);
    }

    /// <summary>
    /// Python's <c>join_thread()</c>: after <see cref="Close"/>, waits until every put of this process has reached its
    /// queue. Puts leave at once, or together with others while earlier ones are on their way, so this rarely
    /// waits longer than one message between processes.
    /// </summary>
    /// <exception cref="InvalidOperationException">This queue object is not closed .</exception>
    /// <exception cref="RemoteObjectUnavailableException">A queue this process put into is gone, with items on their way.</exception>
    public void JoinThread()
    {
        if (!_closed)
        {
            throw new InvalidOperationException("Queue is not closed: call Close() before JoinThread() (Q-10).");
        }

        Caller.DrainWrites();
    }

    /// <summary>
    /// Python's <c>cancel_join_thread()</c>: does nothing. Unlike Python, this process's puts still reach the
    /// queue when it exits: the end of the process waits for them.
    /// </summary>
    public void CancelJoinThread()
    {
    }

    static Queue<T> ISharedObject<Queue<T>>.Attach(IActorRef actor) => new(actor);
}
