using MessagePack;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Sync;

/// <summary>Requests to an Event actor (Python's <c>multiprocessing.Event</c>).</summary>
internal static class EventProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Set), "s1"),
        (typeof(Clear), "s2"),
        (typeof(IsSet), "s3"),
        (typeof(Wait), "s4"),
    ];

    /// <summary>Set the flag and release every waiter (E-02). Answered with <see cref="Done"/>.</summary>
    [MessagePackObject]
    public sealed record Set([property: Key(0)] long CallId) : IRequest;

    /// <summary>Reset the flag (E-03). Answered with <see cref="Done"/>.</summary>
    [MessagePackObject]
    public sealed record Clear([property: Key(0)] long CallId) : IRequest;

    /// <summary>Read the flag. Answered with <see cref="Flag"/>.</summary>
    [MessagePackObject]
    public sealed record IsSet([property: Key(0)] long CallId) : IRequest;

    /// <summary>
    /// Wait until the flag is set. <paramref name="TimeoutMs"/>: -1 waits forever, 0 does not wait. Answered with
    /// <see cref="Flag"/>: true once set, false on timeout; <see cref="Withdrawn"/> when the caller withdrew the wait
    /// (<see cref="Cancel"/>).
    /// </summary>
    [MessagePackObject]
    public sealed record Wait([property: Key(0)] long CallId, [property: Key(1)] long TimeoutMs) : IRequest;
}
