using MessagePack;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>Messages of the manager process and its shared containers.</summary>
internal static class ManagerProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(ManagerReady), "m1"),
        (typeof(CreateObject), "m2"),
        (typeof(Invoke), "m3"),
        (typeof(StopManager), "m4"),
    ];

    /// <summary>The manager process is up; sent to the owner's registration path with the manager actor as sender.</summary>
    [MessagePackObject]
    public sealed record ManagerReady([property: Key(0)] int Pid, [property: Key(1)] string Token) : IProtocolMessage;

    /// <summary>
    /// Create a shared object of <paramref name="Kind"/> in the manager; answered with <see cref="Data"/> holding the
    /// object's actor path (UTF-8).
    /// </summary>
    [MessagePackObject]
    public sealed record CreateObject(
        [property: Key(0)] long CallId,
        [property: Key(1)] string Kind,
        [property: Key(2)] byte[][] Args) : IRequest;

    /// <summary>
    /// Call <paramref name="Method"/> of a container with encoded arguments (Python's <c>_callmethod</c>). Answered
    /// with <see cref="Data"/> (an encoded result), <see cref="Number"/>, <see cref="Flag"/>, <see cref="Done"/> or
    /// <see cref="Failed"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Invoke(
        [property: Key(0)] long CallId,
        [property: Key(1)] string Method,
        [property: Key(2)] byte[][] Args) : IRequest;

    /// <summary>Stop the manager process (shutdown).</summary>
    [MessagePackObject]
    public sealed record StopManager([property: Key(0)] long CallId) : IRequest;
}
