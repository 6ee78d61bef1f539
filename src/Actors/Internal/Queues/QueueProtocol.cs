using MessagePack;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Queues;

/// <summary>
/// Requests to the queue actor (Queue, JoinableQueue, SimpleQueue). Items travel encoded, so the actor is type-agnostic.
/// A get may receive several items (prefetch): the first is the answer, the others wait in the consumer's process
/// (<see cref="QueueClient"/>) and stay leased in the actor until the consumer confirms them (<see cref="Taken"/>),
/// gives them back (<see cref="Return"/>, also when asked to with <see cref="Revoke"/>) or dies.
/// </summary>
internal static class QueueProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Put), "q1"),
        (typeof(Get), "q2"),
        (typeof(GetSize), "q3"),
        (typeof(IsFull), "q4"),
        (typeof(TaskDone), "q5"),
        (typeof(Join), "q6"),
        (typeof(Taken), "q7"),
        (typeof(Items), "q8"),
        (typeof(Revoke), "q9"),
        (typeof(Return), "q10"),
        (typeof(PutMany), "q11"),
    ];

    /// <summary>
    /// Add an encoded item. <paramref name="TimeoutMs"/>: -1 waits for room forever, 0 does not wait. Answered with
    /// <see cref="Done"/> once the queue holds the item (<see cref="Number"/> 0 when the queue is unbounded, which tells
    /// the client that its later puts need not wait for their acknowledgement), <see cref="Flag"/> (false) when it stayed full, or
    /// <see cref="Withdrawn"/> after a <see cref="Cancel"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Put([property: Key(0)] long CallId, [property: Key(1)] byte[] Item, [property: Key(2)] long TimeoutMs) : IRequest;

    /// <summary>
    /// Add encoded items, in their order, to an unbounded queue (puts a producer sent together). Answered with
    /// <see cref="Number"/> 0 once the queue holds them, or <see cref="Failed"/> from a bounded queue (whose puts wait
    /// for room one by one).
    /// </summary>
    [MessagePackObject]
    public sealed record PutMany([property: Key(0)] long CallId, [property: Key(1)] byte[][] Items) : IRequest;

    /// <summary>
    /// Take the oldest item, and with it up to <paramref name="Max"/> - 1 more that the queue already holds (an
    /// unbounded queue only; it never waits to fill a batch). <paramref name="TimeoutMs"/>: -1 waits forever, 0 does
    /// not wait. Answered with <see cref="Items"/> (the caller then confirms each item it returns with
    /// <see cref="Taken"/>), <see cref="Flag"/> (false) when the queue stayed empty, or <see cref="Withdrawn"/>
    /// after a <see cref="Cancel"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Get([property: Key(0)] long CallId, [property: Key(1)] long TimeoutMs, [property: Key(2)] int Max) : IRequest;

    /// <summary>
    /// The answer to a <see cref="Get"/>: <paramref name="Values"/>[0] is the item taken; the others are prefetched.
    /// The items carry the lease numbers <paramref name="FirstSeq"/>, <paramref name="FirstSeq"/> + 1, ...
    /// </summary>
    [MessagePackObject]
    public sealed record Items([property: Key(0)] long CallId, [property: Key(1)] long FirstSeq, [property: Key(2)] byte[][] Values) : IReply;

    /// <summary>
    /// The number of items put and not yet returned by a get: those in the queue and those prefetched by consumers
    /// (exact). Answered with <see cref="Number"/>, after the consumers holding prefetched items said which of them
    /// their program took.
    /// </summary>
    [MessagePackObject]
    public sealed record GetSize([property: Key(0)] long CallId) : IRequest;

    /// <summary>Whether a bounded queue holds maxsize items. Answered with <see cref="Flag"/>.</summary>
    [MessagePackObject]
    public sealed record IsFull([property: Key(0)] long CallId) : IRequest;

    /// <summary>One taken item was processed (JQ-01). Answered with <see cref="Done"/>, or <see cref="Failed"/> when nothing is unfinished (JQ-02).</summary>
    [MessagePackObject]
    public sealed record TaskDone([property: Key(0)] long CallId) : IRequest;

    /// <summary>
    /// Wait until every item put was marked done (JQ-03). <paramref name="TimeoutMs"/>: -1 waits forever, 0 does not
    /// wait. Answered with <see cref="Flag"/>: true when nothing is unfinished, false when the timeout passed first.
    /// </summary>
    [MessagePackObject]
    public sealed record Join([property: Key(0)] long CallId, [property: Key(1)] long TimeoutMs) : IRequest;

    /// <summary>The sender's get returns the item leased under <paramref name="Seq"/>; the queue forgets it. Not answered.</summary>
    [MessagePackObject]
    public sealed record Taken([property: Key(0)] long Seq) : IProtocolMessage;

    /// <summary>
    /// From the queue to a consumer process holding prefetched items another caller needs (an item or an exact size):
    /// give back those its program has not taken yet. The consumer returns the older half (at least one item when it
    /// holds any) and keeps the newer ones, so two busy consumers do not pass whole batches back and forth. Answered with
    /// <see cref="Return"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Revoke : IProtocolMessage
    {
        public static Revoke Instance { get; } = new();
    }

    /// <summary>
    /// From a consumer process: of the items leased to it up to <paramref name="ReceivedUpTo"/>, those in
    /// <paramref name="Returned"/> go back to the queue (in their original order), those in <paramref name="Kept"/>
    /// stay prefetched there, and all others were taken by its program. Items leased later are still on their way to
    /// it. Sent after a <see cref="Revoke"/>, on Close() and when the process shuts down. Not answered.
    /// </summary>
    [MessagePackObject]
    public sealed record Return([property: Key(0)] long ReceivedUpTo, [property: Key(1)] long[] Returned, [property: Key(2)] long[] Kept) : IProtocolMessage;
}
