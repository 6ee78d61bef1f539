using Akka.Actor;
using MessagePack;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Pooling;

/// <summary>Messages between a pool (in the driver) and its worker processes, plus the pool's local commands.</summary>
internal static class PoolProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(RegisterWorker), "pw1"),
        (typeof(WorkerSetup), "pw2"),
        (typeof(WorkerReady), "pw3"),
        (typeof(WorkerInitFailed), "pw4"),
        (typeof(RunChunks), "pw5"),
        (typeof(ChunkResults), "pw6"),
        (typeof(StopWorker), "pw7"),
        (typeof(ChunkStarted), "pw8"),
        (typeof(WorkerRetiring), "pw9"),
    ];

    // ----- worker process <-> pool (remote) -----

    /// <summary>A freshly started worker announces itself. <paramref name="Token"/> proves the pool started it.</summary>
    [MessagePackObject]
    public sealed record RegisterWorker(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] int Pid,
        [property: Key(2)] string Token) : IProtocolMessage;

    /// <summary>The pool's answer to <see cref="RegisterWorker"/>: the initializer to run first, if any.</summary>
    [MessagePackObject]
    public sealed record WorkerSetup(
        [property: Key(0)] FunctionSpec? Initializer,
        [property: Key(1)] byte[]? InitializerArgs,
        [property: Key(2)] int ResultBatchMax,
        [property: Key(3)] long MaxMemoryBytes = 0) : IProtocolMessage;

    /// <summary>The initializer (if any) ran; the worker takes work.</summary>
    [MessagePackObject]
    public sealed record WorkerReady([property: Key(0)] int WorkerId) : IProtocolMessage;

    /// <summary>The initializer raised: the pool is broken (P-06 target).</summary>
    [MessagePackObject]
    public sealed record WorkerInitFailed(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] RemoteError Error) : IProtocolMessage;

    /// <summary>
    /// One chunk of one job: a function (by id; the spec travels the first time a worker needs it) and its entries.
    /// <paramref name="SoftTimeoutMicroseconds"/> (0 = none) cancels the function's token that long after the chunk
    /// starts; <paramref name="ReportStart"/> asks for a <see cref="ChunkStarted"/> (the pool times a hard limit).
    /// </summary>
    [MessagePackObject]
    public sealed record ChunkTask(
        [property: Key(0)] long JobId,
        [property: Key(1)] int Index,
        [property: Key(2)] int FunctionId,
        [property: Key(3)] FunctionSpec? Function,
        [property: Key(4)] byte[] Args,
        [property: Key(5)] long SoftTimeoutMicroseconds = 0,
        [property: Key(6)] bool ReportStart = false)
    {
        /// <summary>Gets the W3C trace context of the submission (null when nobody traces), so the worker's span joins its trace.</summary>
        [Key(7)]
        public string? TraceParent { get; init; }
    }

    /// <summary>A worker started running a chunk that has a hard time limit; the pool's clock for it starts now.</summary>
    [MessagePackObject]
    public sealed record ChunkStarted(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] long JobId,
        [property: Key(2)] int Index) : IProtocolMessage;

    /// <summary>
    /// The worker's resident memory passed the pool's limit after a chunk: every result before this message was sent,
    /// and the worker runs none of the chunks it still holds. The pool runs those elsewhere and replaces it.
    /// </summary>
    [MessagePackObject]
    public sealed record WorkerRetiring(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] long MemoryBytes) : IProtocolMessage;

    /// <summary>Work for a worker; it runs the chunks one at a time in order.</summary>
    [MessagePackObject]
    public sealed record RunChunks([property: Key(0)] IReadOnlyList<ChunkTask> Chunks) : IProtocolMessage;

    /// <summary>The outcome of one chunk: encoded results, or the error that stopped it.</summary>
    [MessagePackObject]
    public sealed record ChunkResult(
        [property: Key(0)] long JobId,
        [property: Key(1)] int Index,
        [property: Key(2)] byte[]? Results,
        [property: Key(3)] RemoteError? Error,
        [property: Key(4)] long ElapsedMicroseconds);

    /// <summary>Finished chunks, batched while the worker had more queued.</summary>
    [MessagePackObject]
    public sealed record ChunkResults(
        [property: Key(0)] int WorkerId,
        [property: Key(1)] IReadOnlyList<ChunkResult> Results) : IProtocolMessage;

    /// <summary>
    /// Ask a worker process to exit once its current chunk (if any) is done. <paramref name="NothingPending"/>: the pool
    /// holds every result of this worker, so it may exit at once instead of shutting its actor system down in order.
    /// </summary>
    [MessagePackObject]
    public sealed record StopWorker([property: Key(0)] bool Immediately, [property: Key(1)] bool NothingPending = false) : IProtocolMessage;

    // ----- façade -> pool actor (local only) -----

    /// <summary>A chunk waiting to run.</summary>
    public sealed record PendingChunk(int Index, byte[] Args);

    /// <summary>Adds a job (first time) and some of its chunks, with the time limits of those chunks.</summary>
    public sealed record Submit(IJob Job, IReadOnlyList<PendingChunk> Chunks, ChunkLimits? Limits = null) : INoSerializationVerificationNeeded;

    /// <summary>A chunk's hard time limit passed while it ran.</summary>
    public sealed record HardTimeoutExpired(int WorkerId, long JobId, int Index) : INoSerializationVerificationNeeded;

    /// <summary>The lazy input of an imap job ended after <paramref name="TotalChunks"/> chunks (an input error takes the last one).</summary>
    public sealed record InputEnd(IJob Job, int TotalChunks, Exception? Error) : INoSerializationVerificationNeeded;

    /// <summary>A chunk that failed in the caller (its items could not be serialized); it fails without running.</summary>
    public sealed record ChunkRejected(IJob Job, int Index, Exception Error) : INoSerializationVerificationNeeded;

    /// <summary>No more submissions; workers exit when the work is done (<c>Pool.close()</c>).</summary>
    public sealed record Close : INoSerializationVerificationNeeded
    {
        public static Close Instance { get; } = new();
    }

    /// <summary>Stop now, failing what is pending with <paramref name="Reason"/> (default: <see cref="PoolTerminatedException"/>).</summary>
    public sealed record Terminate(Exception? Reason = null) : INoSerializationVerificationNeeded
    {
        public static Terminate Instance { get; } = new();
    }

    /// <summary>A worker OS process exited (seen by the launcher).</summary>
    public sealed record WorkerExited(int WorkerId, int ExitCode) : INoSerializationVerificationNeeded;

    /// <summary>A worker's connection was lost and its process did not exit on its own in time.</summary>
    public sealed record WorkerLost(int WorkerId) : INoSerializationVerificationNeeded;

    /// <summary>A worker has not registered in time.</summary>
    public sealed record WorkerStartTimedOut(int WorkerId) : INoSerializationVerificationNeeded;

    /// <summary>Time to SIGKILL workers that did not stop during <c>terminate-grace</c>.</summary>
    public sealed record KillRemaining : INoSerializationVerificationNeeded
    {
        public static KillRemaining Instance { get; } = new();
    }
}

/// <summary>The effective time limits of a call's chunks (the call's <see cref="TaskLimits"/> over the pool's).</summary>
internal sealed record ChunkLimits(TimeSpan? Soft, TimeSpan? Hard)
{
    public static ChunkLimits None { get; } = new(null, null);

    public bool IsNone => Soft is null && Hard is null;
}
