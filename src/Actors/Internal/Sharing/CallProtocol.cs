using MessagePack;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Sharing;

/// <summary>
/// Replies to calls on shared objects (queues, locks, events...). Every request carries a <c>CallId</c> chosen by
/// the caller's process; the object answers exactly once with one of these. Timeouts are decided by the object
/// itself, so a timed-out Get can never take an item after its caller gave up.
/// </summary>
internal static class CallProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Done), "c1"),
        (typeof(Flag), "c2"),
        (typeof(Number), "c3"),
        (typeof(Data), "c4"),
        (typeof(Failed), "c5"),
        (typeof(Cancel), "c6"),
        (typeof(Withdrawn), "c7"),
    ];

    /// <summary>A request to a shared object: answered once, with a reply carrying the same id.</summary>
    public interface IRequest : IProtocolMessage
    {
        long CallId { get; }
    }

    /// <summary>The answer to one request.</summary>
    public interface IReply : IProtocolMessage
    {
        long CallId { get; }
    }

    /// <summary>Success without a value.</summary>
    [MessagePackObject]
    public sealed record Done([property: Key(0)] long CallId) : IReply;

    /// <summary>A yes/no answer (acquire, wait, empty...).</summary>
    [MessagePackObject]
    public sealed record Flag([property: Key(0)] long CallId, [property: Key(1)] bool Value, [property: Key(2)] bool Abandoned) : IReply;

    /// <summary>A number (qsize, value, index...).</summary>
    [MessagePackObject]
    public sealed record Number([property: Key(0)] long CallId, [property: Key(1)] long Value) : IReply;

    /// <summary>An encoded value.</summary>
    [MessagePackObject]
    public sealed record Data([property: Key(0)] long CallId, [property: Key(1)] byte[] Value) : IReply;

    /// <summary>The call failed; <see cref="Error"/> is rebuilt with its original type in the caller.</summary>
    [MessagePackObject]
    public sealed record Failed([property: Key(0)] long CallId, [property: Key(1)] RemoteError Error) : IReply;

    /// <summary>The caller stopped waiting (cancellation): the object drops the parked request.</summary>
    [MessagePackObject]
    public sealed record Cancel([property: Key(0)] long CallId) : IProtocolMessage;

    /// <summary>The answer to <see cref="Cancel"/> when the request was still parked: it was dropped, nothing happened.</summary>
    [MessagePackObject]
    public sealed record Withdrawn([property: Key(0)] long CallId) : IReply;
}
