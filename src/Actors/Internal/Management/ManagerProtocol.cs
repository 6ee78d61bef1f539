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
        (typeof(AuthHello), "m5"),
        (typeof(AuthProve), "m6"),
        (typeof(AuthWelcome), "m7"),
        (typeof(Share), "m8"),
        (typeof(Lookup), "m9"),
        (typeof(ReadLease), "m10"),
        (typeof(LeaseGranted), "m11"),
        (typeof(ReadRevoke), "m12"),
        (typeof(ReadRevoked), "m13"),
        (typeof(ReturnReadLease), "m14"),
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

    /// <summary>Starts the authkey handshake; answered with <see cref="Data"/> holding the manager's 32-byte nonce.</summary>
    [MessagePackObject]
    public sealed record AuthHello([property: Key(0)] long CallId) : IRequest;

    /// <summary>
    /// Proves the caller knows the key: <paramref name="Proof"/> is HMAC-SHA256(key, nonce + "client"). Answered with
    /// <see cref="AuthWelcome"/> or <see cref="Failed"/> (System.Security.Authentication.AuthenticationException).
    /// </summary>
    [MessagePackObject]
    public sealed record AuthProve(
        [property: Key(0)] long CallId,
        [property: Key(1)] byte[] Proof,
        [property: Key(2)] byte[] ClientNonce) : IRequest;

    /// <summary>The manager's own proof, HMAC-SHA256(key, client nonce + "server"), and its pid.</summary>
    [MessagePackObject]
    public sealed record AuthWelcome(
        [property: Key(0)] long CallId,
        [property: Key(1)] byte[] Proof,
        [property: Key(2)] int Pid) : IReply;

    /// <summary>Publishes an object's path under a name for <c>Manager.Connect</c> clients; answered with <see cref="Done"/>.</summary>
    [MessagePackObject]
    public sealed record Share([property: Key(0)] long CallId, [property: Key(1)] string Name, [property: Key(2)] string Path) : IRequest;

    /// <summary>Finds a published object; answered with <see cref="Data"/> (its path, UTF-8) or <see cref="Failed"/>.</summary>
    [MessagePackObject]
    public sealed record Lookup([property: Key(0)] long CallId, [property: Key(1)] string Name) : IRequest;

    /// <summary>
    /// What a parent hands a child through its stdin: the start token, the authkeys it knows, and the runtime
    /// configuration the child's actor system must share with it (TLS, bind address), as HOCON.
    /// </summary>
    [MessagePackObject]
    public sealed record ChildSecrets(
        [property: Key(0)] string Token,
        [property: Key(1)] IReadOnlyDictionary<string, byte[]> Keys,
        [property: Key(2)] byte[]? ManagerKey,
        [property: Key(3)] string? RuntimeOverrides = null);

    /// <summary>
    /// Asks a container for a read lease: a copy of its state from which the caller's process answers its reads until
    /// another process changes the container. Answered with <see cref="LeaseGranted"/>, or <see cref="Done"/> when
    /// the container declines (larger than <c>multiprocessing.shared-objects.read-lease-max-bytes</c>).
    /// </summary>
    [MessagePackObject]
    public sealed record ReadLease([property: Key(0)] long CallId) : IRequest;

    /// <summary>
    /// A read lease: <paramref name="Snapshot"/> is the container's state (<c>ContainerState.Snapshot</c>), valid until
    /// a <see cref="ReadRevoke"/> with an epoch of at least <paramref name="Epoch"/> arrives.
    /// </summary>
    [MessagePackObject]
    public sealed record LeaseGranted(
        [property: Key(0)] long CallId,
        [property: Key(1)] long Epoch,
        [property: Key(2)] byte[][] Snapshot) : IReply;

    /// <summary>
    /// Sent by a container to a lease holder's reply actor before it applies another process's change: leases up to
    /// <paramref name="Epoch"/> are void. Answered with <see cref="ReadRevoked"/>; the change waits for that answer.
    /// </summary>
    [MessagePackObject]
    public sealed record ReadRevoke([property: Key(0)] long Epoch) : IProtocolMessage;

    /// <summary>The holder dropped its copy: reads of its process go to the container again.</summary>
    [MessagePackObject]
    public sealed record ReadRevoked([property: Key(0)] long Epoch) : IProtocolMessage;

    /// <summary>The caller's process gives its read lease back (at exit); answered with <see cref="Done"/>.</summary>
    [MessagePackObject]
    public sealed record ReturnReadLease([property: Key(0)] long CallId) : IRequest;
}
