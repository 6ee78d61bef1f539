using Akka.Actor;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A <see cref="Queue{T}"/> whose consumers mark each item done, so a producer can wait until all of them were
/// processed (Python's <c>multiprocessing.JoinableQueue</c>, JQ-01..JQ-03). Everything else is as for
/// <see cref="Queue{T}"/>.
/// </summary>
/// <typeparam name="T">The item type; items travel as MessagePack (contractless), like task arguments.</typeparam>
public sealed class JoinableQueue<T> : Queue<T>, ISharedObject<JoinableQueue<T>>
{
    /// <summary>Creates a queue in this process.</summary>
    /// <param name="maxsize">The most items it holds; zero or negative means unbounded .</param>
    public JoinableQueue(int maxsize = 0)
        : this(SharedObjects.Create(QueueActor.Props(maxsize), "joinable-queue"))
    {
    }

    private JoinableQueue(IActorRef actor)
        : base(actor)
    {
    }

    /// <summary>Marks one item taken from the queue as processed (JQ-01); call it once per item after <see cref="Get"/>.</summary>
    /// <exception cref="InvalidOperationException">More calls than items put: "task_done() called too many times" (JQ-02).</exception>
    public void TaskDone() => TaskDoneAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="TaskDone"/>.</summary>
    /// <returns>A task that completes once the queue counted the item as done.</returns>
    /// <exception cref="InvalidOperationException">More calls than items put (JQ-02).</exception>
    public Task TaskDoneAsync() => QueueClient.TaskDoneAsync(Actor, "JoinableQueue.TaskDone");

    /// <summary>
    /// Waits until every item put so far was marked done with <see cref="TaskDone"/> (JQ-03); returns at once on a
    /// queue that never had a put. Python's <c>join()</c> has no timeout; here one may bound the wait.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <returns><see langword="true"/> when nothing is unfinished, <see langword="false"/> when the timeout passed first.</returns>
    public bool Join(TimeSpan? timeout = null) => JoinAsync(timeout).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Join"/>.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> when nothing is unfinished, <see langword="false"/> when the timeout passed first.</returns>
    public Task<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        QueueClient.JoinAsync(Actor, timeout, "JoinableQueue.Join", cancellationToken);

    static JoinableQueue<T> ISharedObject<JoinableQueue<T>>.Attach(IActorRef actor) => new(actor);
}
