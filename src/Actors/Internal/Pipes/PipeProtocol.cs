using MessagePack;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Pipes;

/// <summary>Messages of pipe ends (Python's <c>multiprocessing.Pipe</c> connections).</summary>
internal static class PipeProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Send), "x1"),
        (typeof(Recv), "x2"),
        (typeof(Poll), "x3"),
        (typeof(Close), "x4"),
        (typeof(Attach), "x5"),
        (typeof(Deliver), "x6"),
        (typeof(PeerClosed), "x7"),
    ];

    /// <summary>
    /// Send an encoded value through this end to the other end's inbox. Answered with <see cref="Done"/> once the
    /// other end holds it, or <see cref="Failed"/>: this end is closed or only receives, or the other end is closed.
    /// </summary>
    [MessagePackObject]
    public sealed record Send([property: Key(0)] long CallId, [property: Key(1)] byte[] Value) : IRequest;

    /// <summary>
    /// Take the oldest value of this end's inbox, waiting for one. Answered with <see cref="Data"/>; with
    /// <see cref="Failed"/> (EndOfStreamException) once the inbox is empty and the other end is closed; with
    /// <see cref="Withdrawn"/> when the caller withdrew the request (<see cref="Cancel"/>).
    /// </summary>
    [MessagePackObject]
    public sealed record Recv([property: Key(0)] long CallId) : IRequest;

    /// <summary>
    /// Whether a <see cref="Recv"/> would not block (a value is waiting, or the other end is closed).
    /// <paramref name="TimeoutMs"/>: -1 waits forever, 0 does not wait. Answered with <see cref="Flag"/>, or
    /// <see cref="Withdrawn"/> when the caller withdrew it.
    /// </summary>
    [MessagePackObject]
    public sealed record Poll([property: Key(0)] long CallId, [property: Key(1)] long TimeoutMs) : IRequest;

    /// <summary>Close this end for every process; the other end then reads EOF after its buffered values. Answered with <see cref="Done"/>.</summary>
    [MessagePackObject]
    public sealed record Close([property: Key(0)] long CallId) : IRequest;

    /// <summary>
    /// Told by a process that received this end (a proxy came to life there): the end is closed if that process
    /// dies, as its descriptors would be in Python.
    /// </summary>
    [MessagePackObject]
    public sealed record Attach : IProtocolMessage
    {
        public static Attach Instance { get; } = new();
    }

    /// <summary>From the other end: a value for this end's inbox.</summary>
    [MessagePackObject]
    public sealed record Deliver([property: Key(0)] byte[] Value) : IProtocolMessage;

    /// <summary>From the other end: it was closed; this end reads EOF once its inbox is empty.</summary>
    [MessagePackObject]
    public sealed record PeerClosed : IProtocolMessage
    {
        public static PeerClosed Instance { get; } = new();
    }
}
