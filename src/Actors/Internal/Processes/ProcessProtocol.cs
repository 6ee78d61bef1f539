using MessagePack;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Processes;

/// <summary>Messages between a <c>Process</c> child and the supervisor in its parent.</summary>
internal static class ProcessProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(RegisterChild), "p1"),
        (typeof(RunTarget), "p2"),
        (typeof(ChildFinished), "p3"),
        (typeof(ChildFinishedAck), "p4"),
    ];

    /// <summary>A started child announces itself; <paramref name="Token"/> proves the parent started it.</summary>
    [MessagePackObject]
    public sealed record RegisterChild(
        [property: Key(0)] int Id,
        [property: Key(1)] int Pid,
        [property: Key(2)] string Token) : IProtocolMessage;

    /// <summary>What the child runs.</summary>
    [MessagePackObject]
    public sealed record RunTarget(
        [property: Key(0)] FunctionSpec Target,
        [property: Key(1)] byte[] Args,
        [property: Key(2)] string Name,
        [property: Key(3)] bool Daemon,
        [property: Key(4)] string ParentName,
        [property: Key(5)] int ParentPid) : IProtocolMessage;

    /// <summary>The target returned (<paramref name="Error"/> null) or raised.</summary>
    [MessagePackObject]
    public sealed record ChildFinished([property: Key(0)] int Id, [property: Key(1)] RemoteError? Error) : IProtocolMessage;

    /// <summary>The parent has recorded the outcome; the child may exit.</summary>
    [MessagePackObject]
    public sealed record ChildFinishedAck([property: Key(0)] int Id) : IProtocolMessage;

    /// <summary>
    /// The second stdin line a spare process reads: what it becomes (role and the arguments a fresh child of that role
    /// gets), its start token, and the authkeys this process knows now. Not an actor message.
    /// </summary>
    [MessagePackObject]
    public sealed record ChildAssignment(
        [property: Key(0)] string Role,
        [property: Key(1)] string[] Arguments,
        [property: Key(2)] string Token,
        [property: Key(3)] IReadOnlyDictionary<string, byte[]> Keys);
}
