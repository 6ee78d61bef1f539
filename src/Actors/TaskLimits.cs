namespace Multiprocessing;

/// <summary>
/// Time limits of one task (billiard's <c>soft_time_limit</c> and <c>time_limit</c>; Python's pool has none). A task
/// here is one chunk, as for <see cref="PoolOptions.MaxTasksPerChild"/> (P-60): <c>Apply</c> runs one call per chunk;
/// for <c>Map</c> pass <c>chunksize: 1</c> to limit every item on its own. The clock starts when the worker starts
/// the chunk, not when it was submitted. Unset limits take the pool's (<see cref="PoolOptions.TaskTimeout"/>,
/// <see cref="PoolOptions.TaskHardTimeout"/>).
/// </summary>
public sealed class TaskLimits
{
    /// <summary>
    /// The soft limit: when it passes, the <see cref="CancellationToken"/> the task function takes as its last
    /// parameter is cancelled. A function that stops with <see cref="OperationCanceledException"/> fails with
    /// <see cref="TaskTimeoutException"/>; a function that returns anyway keeps its result. A function without a
    /// token parameter cannot be asked to stop: use <see cref="HardTimeout"/>.
    /// </summary>
    /// <value>Default: the pool's <see cref="PoolOptions.TaskTimeout"/>. Must be positive.</value>
    public TimeSpan? Timeout { get; set; }

    /// <summary>
    /// The hard limit: when it passes, the pool kills the worker process running the task, starts a replacement and
    /// fails the task with <see cref="TaskTimeoutException"/> (it is not run again). Other chunks that worker held
    /// run elsewhere.
    /// </summary>
    /// <value>Default: the pool's <see cref="PoolOptions.TaskHardTimeout"/>. Must be positive, and longer than <see cref="Timeout"/> when both are set.</value>
    public TimeSpan? HardTimeout { get; set; }

    /// <summary>Checks both limits; <paramref name="softName"/> and <paramref name="hardName"/> name them in messages.</summary>
    internal static void Validate(TimeSpan? soft, TimeSpan? hard, string softName, string hardName, string parameterName)
    {
        if (soft is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                parameterName, s, $"{softName} (the soft time limit of a task) must be positive; leave it null for no limit.");
        }

        if (hard is { } h && h <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                parameterName, h, $"{hardName} (the hard time limit of a task) must be positive; leave it null for no limit.");
        }

        if (soft is { } a && hard is { } b && b <= a)
        {
            throw new ArgumentException(
                $"{hardName} ({b}) must be longer than {softName} ({a}): the soft limit asks the task to stop, the hard " +
                "limit kills its worker when it did not.",
                parameterName);
        }
    }
}
