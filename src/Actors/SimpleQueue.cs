using Akka.Actor;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// An unbounded FIFO queue shared by processes with only <see cref="Put"/>, <see cref="Get"/>, <see cref="Empty"/> and
/// <see cref="Close"/> (Python's <c>multiprocessing.SimpleQueue</c>, SQ-01): no maxsize, no timeouts, no size. It lives
/// as an actor in the process that created it and travels to <see cref="Process"/> children and <see cref="Pool"/>
/// tasks as an argument. Items are encoded in the caller (SQ-02), one producer's items keep their order, and a get may
/// prefetch items as for <see cref="Queue{T}"/>. A consumer that dies is handled as for <see cref="Queue{T}"/>: its
/// waiting get is dropped, and the items sent to it that no get returned go back to the queue.
/// </summary>
/// <typeparam name="T">The item type; items travel as MessagePack (contractless), like task arguments.</typeparam>
public sealed class SimpleQueue<T> : ISharedObject<SimpleQueue<T>>
{
    private readonly IActorRef _actor;
    private volatile bool _closed;

    /// <summary>Creates an empty queue in this process.</summary>
    public SimpleQueue()
        : this(SharedObjects.Create(QueueActor.Props(0), "simple-queue"))
    {
    }

    private SimpleQueue(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>Adds an item at the tail; returns once the queue holds it.</summary>
    /// <param name="item">The item; it is encoded here, in the caller (SQ-02).</param>
    /// <exception cref="TaskSerializationException">The item cannot be serialized (SQ-02).</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed (SQ-03).</exception>
    public void Put(T item) => PutAsync(item).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Put"/>. A closed queue or an unserializable item throws at the call.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Withdraws the put unless the queue already took the item.</param>
    /// <returns>A task that completes once the queue holds the item.</returns>
    /// <exception cref="TaskSerializationException">The item cannot be serialized.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed.</exception>
    public Task PutAsync(T item, CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            throw QueueClient.Closed();
        }

        var bytes = QueueClient.Encode(item);
        return QueueClient.PutAsync(_actor, bytes, true, null, "SimpleQueue.Put", cancellationToken);
    }

    /// <summary>Removes and returns the item at the head, waiting as long as the queue is empty.</summary>
    /// <returns>The item.</returns>
    /// <exception cref="TaskSerializationException">The item cannot be read as <typeparamref name="T"/>; it is consumed.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed (SQ-03).</exception>
    public T Get() => GetAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Get"/>.</summary>
    /// <param name="cancellationToken">Stops waiting; the get is withdrawn, or returns the item if one was already on its way.</param>
    /// <returns>The item.</returns>
    /// <exception cref="TaskSerializationException">The item cannot be read as <typeparamref name="T"/>.</exception>
    /// <exception cref="InvalidOperationException">This queue object was closed.</exception>
    public Task<T> GetAsync(CancellationToken cancellationToken = default) =>
        _closed
            ? throw QueueClient.Closed()
            : QueueClient.GetAsync<T>(_actor, true, null, "SimpleQueue.Get", cancellationToken);

    /// <summary>
    /// Whether no item was put and not yet returned by a get: exact (items prefetched by a consumer count as in the
    /// queue, as for <see cref="Queue{T}.Qsize"/>), a snapshot that other processes may change at once.
    /// </summary>
    /// <returns><see langword="true"/> when empty.</returns>
    public bool Empty() => QueueClient.Qsize(_actor, "SimpleQueue.Empty") == 0;

    /// <summary>
    /// Closes this queue object: it refuses further <see cref="Put"/> and <see cref="Get"/> with
    /// <see cref="InvalidOperationException"/> (SQ-03). Other objects of the same queue keep working; items this process
    /// prefetched and no get returned go back to the queue. Closing twice is allowed.
    /// </summary>
    public void Close()
    {
        _closed = true;
        QueueClient.ReturnPrefetched(_actor);
    }

    static SimpleQueue<T> ISharedObject<SimpleQueue<T>>.Attach(IActorRef actor) => new(actor);
}
