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
}
