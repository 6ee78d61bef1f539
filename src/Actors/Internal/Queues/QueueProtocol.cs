using MessagePack;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Queues;

/// <summary>Requests to the queue actor (Queue, JoinableQueue, SimpleQueue). Items travel encoded, so the actor is type-agnostic.</summary>
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
    /// Take the oldest item. <paramref name="TimeoutMs"/>: -1 waits forever, 0 does not wait. Answered with
    /// <see cref="Data"/> (the caller then confirms with <see cref="Taken"/>), <see cref="Flag"/> (false) when the
    /// queue stayed empty, or <see cref="Withdrawn"/> after a <see cref="Cancel"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Get([property: Key(0)] long CallId, [property: Key(1)] long TimeoutMs) : IRequest;

    /// <summary>The number of items held (exact). Answered with <see cref="Number"/>.</summary>
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

    /// <summary>The caller received the item answering its Get <paramref name="CallId"/>; the queue forgets it. Not answered.</summary>
    [MessagePackObject]
    public sealed record Taken([property: Key(0)] long CallId) : IProtocolMessage;

}
