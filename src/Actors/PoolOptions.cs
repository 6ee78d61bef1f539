namespace Multiprocessing;

/// <summary>
/// Settings for a <see cref="Pool"/> (Python's <c>Pool(processes, initializer, initargs, maxtasksperchild)</c>).
/// Unset properties take their defaults.
/// </summary>
public sealed class PoolOptions
{
    /// <summary>Number of worker processes.</summary>
    /// <value>Default: <see cref="Environment.ProcessorCount"/> (P-01). Must be at least 1 (P-02).</value>
    public int? Processes { get; set; }

    /// <summary>
    /// A static method (or a lambda that captures nothing) each worker runs once before its first task, replacement
    /// workers included (P-05). If it raises, the pool is broken instead of respawning workers forever (P-06 target).
    /// </summary>
    /// <value>Default: none.</value>
    public Delegate? Initializer { get; set; }

    /// <summary>Arguments passed to <see cref="Initializer"/> (Python's <c>initargs</c>); they must be serializable.</summary>
    /// <value>Default: none.</value>
    public IReadOnlyList<object?>? InitializerArgs { get; set; }

    /// <summary>Chunks a worker runs before it is replaced by a fresh process (P-60); a chunk counts as one task.</summary>
    /// <value>Default: unlimited. Must be at least 1.</value>
    public int? MaxTasksPerChild { get; set; }

    /// <summary>
    /// How many workers may die while holding a chunk before its tasks fail with <see cref="WorkerLostException"/>
    /// (1 = never run again). Raise it where workers are expected to be killed, as in a chaos test.
    /// </summary>
    /// <value>Default: <c>multiprocessing.pool.max-retries</c> (3). Must be at least 1.</value>
    public int? MaxRetries { get; set; }

    /// <summary>
    /// The <c>host:port</c> of an <c>mp host</c> node: the pool runs on the worker processes of the cluster's worker
    /// nodes instead of local ones. Requires <see cref="AuthKey"/>. See also <see cref="Pool.Connect(string, byte[], PoolOptions?)"/>.
    /// </summary>
    /// <value>Default: none (local worker processes).</value>
    public string? Host { get; set; }

    /// <summary>The cluster's authkey (at least 16 bytes), proven to the host with a challenge–response; it never travels.</summary>
    /// <value>Default: none.</value>
    public byte[]? AuthKey { get; set; }

    internal PoolOptions Clone() => (PoolOptions)MemberwiseClone();

    /// <summary>
    /// The soft time limit of every task (a chunk, P-60): when it passes, the task's <see cref="CancellationToken"/>
    /// (a task function may take one as its last parameter) is cancelled, and a task that stops with
    /// <see cref="OperationCanceledException"/> fails with <see cref="TaskTimeoutException"/>. See <see cref="TaskLimits"/>.
    /// </summary>
    /// <value>Default: no limit. Must be positive.</value>
    public TimeSpan? TaskTimeout { get; set; }

    /// <summary>
    /// The hard time limit of every task (a chunk, P-60): when it passes, the worker process running it is killed and
    /// replaced, and the task fails with <see cref="TaskTimeoutException"/>. See <see cref="TaskLimits"/>.
    /// </summary>
    /// <value>Default: no limit. Must be positive, and longer than <see cref="TaskTimeout"/> when both are set.</value>
    public TimeSpan? TaskHardTimeout { get; set; }

    /// <summary>
    /// Memory recycling (billiard's <c>max_memory_per_child</c>): a worker whose resident memory is above this after a
    /// chunk reports that chunk, then is replaced by a fresh process, as after <see cref="MaxTasksPerChild"/>.
    /// Chunks it held but had not started run elsewhere.
    /// </summary>
    /// <value>Default: unlimited. Unit: bytes. Must be positive.</value>
    public long? MaxMemoryPerChild { get; set; }
}
