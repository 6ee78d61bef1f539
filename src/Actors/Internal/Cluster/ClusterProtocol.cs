using MessagePack;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Cluster;

/// <summary>
/// Messages between clients (<c>Pool.Connect</c>), the host's coordinator, worker nodes' agents and the worker
/// processes those start. Chunks do not pass through the host: a client's pool talks to its worker processes directly.
/// </summary>
internal static class ClusterProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Attach), "cl1"),
        (typeof(Attached), "cl2"),
        (typeof(PoolAttached), "cl3"),
        (typeof(StartWorker), "cl4"),
        (typeof(WorkerLaunched), "cl5"),
        (typeof(WorkerProcessExited), "cl6"),
        (typeof(StopWorkerProcess), "cl7"),
        (typeof(NodeRegister), "cl8"),
        (typeof(NodeLoad), "cl9"),
        (typeof(FetchAppFile), "cl10"),
        (typeof(StatusRequest), "cl11"),
        (typeof(StatusReport), "cl12"),
        (typeof(NodeStatusRequest), "cl13"),
        (typeof(NodeStatusReport), "cl14"),
        (typeof(PoolStatsRequest), "cl15"),
        (typeof(PoolStatsReport), "cl16"),
    ];

    /// <summary>A client asks the coordinator how many worker processes the cluster offers; answered with <see cref="Attached"/>.</summary>
    [MessagePackObject]
    public sealed record Attach([property: Key(0)] long CallId) : IRequest;

    /// <summary>The cluster's worker capacity (sum of every node's <c>--processes</c>) and its number of worker nodes.</summary>
    [MessagePackObject]
    public sealed record Attached([property: Key(0)] long CallId, [property: Key(1)] int Capacity, [property: Key(2)] int Nodes) : IReply;

    /// <summary>A client's pool (the sender) runs on this cluster; the coordinator lists it in the status.</summary>
    [MessagePackObject]
    public sealed record PoolAttached([property: Key(0)] string Client) : IProtocolMessage;

    /// <summary>
    /// A client's pool (the sender) wants one more worker process. The coordinator forwards it to a node, which starts
    /// the process and answers the pool with <see cref="WorkerLaunched"/> or <see cref="WorkerProcessExited"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record StartWorker(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] string PoolPath,
        [property: Key(2)] string Token,
        [property: Key(3)] IReadOnlyList<AppFile> App,
        [property: Key(4)] string AppServerPath) : IProtocolMessage;

    /// <summary>The node started the worker process (it registers with the pool itself).</summary>
    [MessagePackObject]
    public sealed record WorkerLaunched(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] string Token,
        [property: Key(2)] int Pid,
        [property: Key(3)] string Node) : IProtocolMessage;

    /// <summary>
    /// The worker process exited, or could not be started (<see cref="Error"/>). A <see cref="Fatal"/> error (a different
    /// build of an assembly) breaks the pool at once; others count as failed starts.
    /// </summary>
    [MessagePackObject]
    public sealed record WorkerProcessExited(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] string Token,
        [property: Key(2)] int ExitCode,
        [property: Key(3)] string? Error,
        [property: Key(4)] bool Fatal) : IProtocolMessage;

    /// <summary>The pool asks the node to stop (close its lifeline) or kill one of its worker processes.</summary>
    [MessagePackObject]
    public sealed record StopWorkerProcess(
        [property: Key(0)] string PoolPath,
        [property: Key(1)] int WorkerId,
        [property: Key(2)] bool Kill) : IProtocolMessage;

    /// <summary>A worker node's agent (the sender) offers <see cref="Capacity"/> worker processes.</summary>
    [MessagePackObject]
    public sealed record NodeRegister(
        [property: Key(0)] int Capacity,
        [property: Key(1)] string Hostname,
        [property: Key(2)] int Pid,
        [property: Key(3)] string? App) : IProtocolMessage;

    /// <summary>
    /// A node's number of running worker processes changed; when one ended (or never started), which one, so the
    /// coordinator stops tracking it.
    /// </summary>
    [MessagePackObject]
    public sealed record NodeLoad(
        [property: Key(0)] int Running,
        [property: Key(1)] string? EndedPool = null,
        [property: Key(2)] int EndedWorker = 0) : IProtocolMessage;

    /// <summary>A node asks a client for one file of its app, by SHA-256; answered with <c>Data</c> or <c>Failed</c>.</summary>
    [MessagePackObject]
    public sealed record FetchAppFile([property: Key(0)] long CallId, [property: Key(1)] string Sha256) : IRequest;

    /// <summary><c>mp status</c> asks the coordinator; answered with <see cref="StatusReport"/>.</summary>
    [MessagePackObject]
    public sealed record StatusRequest([property: Key(0)] long CallId) : IRequest;

    /// <summary>The cluster as the coordinator sees it.</summary>
    [MessagePackObject]
    public sealed record StatusReport([property: Key(0)] long CallId, [property: Key(1)] ClusterStatus Status) : IReply;

    /// <summary>The coordinator asks a node for its processes.</summary>
    [MessagePackObject]
    public sealed record NodeStatusRequest([property: Key(0)] long CallId) : IRequest;

    /// <summary>A node's processes.</summary>
    [MessagePackObject]
    public sealed record NodeStatusReport([property: Key(0)] long CallId, [property: Key(1)] NodeStatus Status) : IReply;

    /// <summary>The coordinator asks a client's pool for its queue and its workers' counts.</summary>
    [MessagePackObject]
    public sealed record PoolStatsRequest([property: Key(0)] long CallId) : IRequest;

    /// <summary>A pool's figures.</summary>
    [MessagePackObject]
    public sealed record PoolStatsReport([property: Key(0)] long CallId, [property: Key(1)] PoolStats Stats) : IReply;

    // ----- data -----

    /// <summary>One file of a client's app: what a node needs to find, fetch and verify it.</summary>
    [MessagePackObject]
    public sealed record AppFile(
        [property: Key(0)] string FileName,
        [property: Key(1)] string SimpleName,
        [property: Key(2)] string Version,
        [property: Key(3)] string Sha256,
        [property: Key(4)] long Size);

    /// <summary>One worker process on a node.</summary>
    [MessagePackObject]
    public sealed record WorkerProcessStatus(
        [property: Key(0)] int Pid,
        [property: Key(1)] string PoolPath,
        [property: Key(2)] int WorkerId,
        [property: Key(3)] long RssBytes);

    /// <summary>A worker node.</summary>
    [MessagePackObject]
    public sealed record NodeStatus(
        [property: Key(0)] string Address,
        [property: Key(1)] string Hostname,
        [property: Key(2)] int Pid,
        [property: Key(3)] int Capacity,
        [property: Key(4)] string? App,
        [property: Key(5)] IReadOnlyList<WorkerProcessStatus> Processes);

    /// <summary>One worker of a pool, as the pool counts it.</summary>
    [MessagePackObject]
    public sealed record PoolWorkerStats(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] int Pid,
        [property: Key(2)] long TasksDone,
        [property: Key(3)] int InFlight);

    /// <summary>A client's pool: chunks queued (not yet sent to a worker) and in flight, and its workers.</summary>
    [MessagePackObject]
    public sealed record PoolStats(
        [property: Key(0)] string PoolPath,
        [property: Key(1)] int Queued,
        [property: Key(2)] int InFlight,
        [property: Key(3)] IReadOnlyList<PoolWorkerStats> Workers);

    /// <summary>A member of the cluster.</summary>
    [MessagePackObject]
    public sealed record MemberInfo(
        [property: Key(0)] string Address,
        [property: Key(1)] string Status,
        [property: Key(2)] IReadOnlyList<string> Roles,
        [property: Key(3)] bool Reachable);

    /// <summary>Everything <c>mp status</c> shows.</summary>
    [MessagePackObject]
    public sealed record ClusterStatus(
        [property: Key(0)] string Host,
        [property: Key(1)] IReadOnlyList<MemberInfo> Members,
        [property: Key(2)] IReadOnlyList<NodeStatus> Nodes,
        [property: Key(3)] IReadOnlyList<PoolStats> Pools);
}
