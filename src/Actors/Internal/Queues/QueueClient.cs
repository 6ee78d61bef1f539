using Akka.Actor;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Serialization;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Queues.QueueProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Queues;

/// <summary>
/// The calls the queue proxies (<see cref="Queue{T}"/>, <see cref="JoinableQueue{T}"/>, <see cref="SimpleQueue{T}"/>)
/// make on their <see cref="QueueActor"/>. Cancellation is a request to the actor: if the item was already handed
/// over (or accepted), the call completes normally instead, so cancelling never loses an item.
/// </summary>
internal static class QueueClient
{
    private static readonly Lazy<QueueSettings> Settings = new(() => QueueSettings.Create(MultiprocessingRuntime.Config));

    /// <summary>The error for Put and Get on a queue object after <c>Close()</c> (Q-09, SQ-03).</summary>
    public static InvalidOperationException Closed() =>
        new("Queue is closed: Close() was called on this queue object, so it refuses Put and Get (Q-09).");

    /// <summary>Encodes an item in the caller, so an unserializable or oversized item fails at the call (Q-08 target, SQ-02).</summary>
    public static byte[] Encode<T>(T item) => ValueCodec.Serialize(item, "The item put on the queue");

    /// <summary>
    /// Puts an encoded item into an unbounded queue without waiting for the acknowledgement. Items of one process keep
    /// their order; every later call this process makes on any shared object first waits for these acknowledgements
    /// (<see cref="Caller.SendWrite"/>), as does the end of the process, so no item is lost and a program that uses
    /// locks, events or joins around its queues cannot tell the difference. Puts made while earlier ones are on their
    /// way travel together (<see cref="PutBatcher"/>).
    /// </summary>
    public static void PutLater(IActorRef actor, byte[] item, string what) =>
        PutBatcher.Put(actor, item, what, Settings.Value);

    /// <summary>Puts an encoded item; completes once the queue actor holds it (pain point 9). Returns whether the queue is unbounded.</summary>
    public static async Task<bool> PutAsync(IActorRef actor, byte[] item, bool block, TimeSpan? timeout, string what, CancellationToken cancellationToken)
    {
        var timeoutMs = SharedObjects.TimeoutMs(block, timeout);
        var (reply, _) = await CallAsync(actor, id => new Put(id, item, timeoutMs), what, cancellationToken).ConfigureAwait(false);
        if (reply is Flag)
        {
            throw new QueueFullException(timeoutMs == 0
                ? "The queue is full and the put may not wait (block=false, or a zero or negative timeout) (Q-02)."
                : $"The queue stayed full for the whole timeout ({timeout}) (Q-02).");
        }

        return reply is Number;
    }

    /// <summary>
    /// Takes an item: the oldest this process prefetched from the queue, else one fetched from the queue together with
    /// up to multiprocessing.queues.prefetch - 1 more it already holds. The item is confirmed to the queue
    /// (<see cref="Taken"/>) before it is decoded and returned, so a process killed later holds at most the items its
    /// gets returned; the others go back to the queue.
    /// </summary>
    public static Task<T> GetAsync<T>(IActorRef actor, bool block, TimeSpan? timeout, string what, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (PrefetchBuffer.For(actor).TryTake(out var seq, out var bytes))
        {
            try
            {
                return Task.FromResult(Take<T>(actor, seq, bytes));
            }
            catch (TaskSerializationException ex)
            {
                return Task.FromException<T>(ex);
            }
        }

        return FetchAsync<T>(actor, block, timeout, what, cancellationToken);
    }

    /// <summary>Gives the items this process prefetched and did not take back to the queue (Close()).</summary>
    public static void ReturnPrefetched(IActorRef actor) => PrefetchBuffer.For(actor).ReturnAll();

    private static async Task<T> FetchAsync<T>(IActorRef actor, bool block, TimeSpan? timeout, string what, CancellationToken cancellationToken)
    {
        var timeoutMs = SharedObjects.TimeoutMs(block, timeout);
        var (reply, _) = await CallAsync(actor, id => new Get(id, timeoutMs, Settings.Value.Prefetch), what, cancellationToken).ConfigureAwait(false);
        if (reply is not Items items)
        {
            throw new QueueEmptyException(timeoutMs == 0
                ? "The queue is empty and the get may not wait (block=false, or a zero or negative timeout) (Q-03)."
                : $"The queue stayed empty for the whole timeout ({timeout}) (Q-03).");
        }

        // The other items were filed in this process's prefetch buffer when the answer arrived.
        return Take<T>(actor, items.FirstSeq, items.Values[0]);
    }

    /// <summary>Confirms an item to the queue, then decodes it.</summary>
    private static T Take<T>(IActorRef actor, long seq, byte[] bytes)
    {
        actor.Tell(new Taken(seq), Caller.Self);
        try
        {
            return ValueCodec.Deserialize<T>(bytes);
        }
        catch (Exception ex)
        {
            throw new TaskSerializationException(
                $"The item taken from the queue cannot be read as {ValueCodec.Describe(typeof(T))}: {ex.Message}", ex);
        }
    }

    /// <summary>The exact number of items put and not yet returned by a get, prefetched ones included (pain point 22).</summary>
    public static int Qsize(IActorRef actor, string what) =>
        (int)((Number)Caller.Check(Caller.Call(actor, id => new GetSize(id), what), SharedObjects.Origin(actor))).Value;

    /// <summary>Whether a bounded queue holds maxsize items.</summary>
    public static bool Full(IActorRef actor, string what) =>
        ((Flag)Caller.Check(Caller.Call(actor, id => new IsFull(id), what), SharedObjects.Origin(actor))).Value;

    /// <summary>Marks one item processed (JQ-01, JQ-02).</summary>
    public static async Task TaskDoneAsync(IActorRef actor, string what) =>
        await CallAsync(actor, id => new TaskDone(id), what, CancellationToken.None).ConfigureAwait(false);

    /// <summary>Waits until every item put was marked done (JQ-03); false when the timeout passed first.</summary>
    public static async Task<bool> JoinAsync(IActorRef actor, TimeSpan? timeout, string what, CancellationToken cancellationToken)
    {
        var timeoutMs = SharedObjects.TimeoutMs(true, timeout);
        var (reply, _) = await CallAsync(actor, id => new Join(id, timeoutMs), what, cancellationToken).ConfigureAwait(false);
        return ((Flag)reply).Value;
    }

    /// <summary>
    /// Sends a request and waits for its reply. The token withdraws a parked request through the actor (see
    /// <see cref="Caller.SendAsync"/>): the call ends with Withdrawn (an <see cref="OperationCanceledException"/>) or, if
    /// the actor had already served it, the normal reply, so no item is lost.
    /// </summary>
    private static async Task<(IReply Reply, long CallId)> CallAsync(
        IActorRef actor, Func<long, IRequest> request, string what, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var callId = 0L;
        var reply = await Caller.CallAsync(
            actor,
            id =>
            {
                callId = id;
                return request(id);
            },
            what,
            cancellationToken).ConfigureAwait(false);
        return (Caller.Check(reply, SharedObjects.Origin(actor)), callId);
    }
}
