namespace Multiprocessing;

/// <summary>
/// A task ran longer than its time limit (<see cref="PoolOptions.TaskTimeout"/> or
/// <see cref="PoolOptions.TaskHardTimeout"/>, or the <see cref="TaskLimits"/> of its call). Unlike
/// <see cref="MultiprocessingTimeoutException"/> (a wait that ended early), the task itself was stopped: at the soft
/// limit it was cancelled through its <see cref="CancellationToken"/>; at the hard limit its worker process was killed.
/// It is not run again.
/// </summary>
public sealed class TaskTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which task, which limit, which worker.</param>
    public TaskTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its details.</summary>
    /// <param name="message">Which task, which limit, which worker.</param>
    /// <param name="limit">The limit that passed.</param>
    /// <param name="pid">The process id of the worker that ran the task.</param>
    /// <param name="hard">Whether the hard limit passed (the worker was killed) rather than the soft one.</param>
    public TaskTimeoutException(string message, TimeSpan limit, int pid, bool hard)
        : base(message)
    {
        Limit = limit;
        Pid = pid;
        Hard = hard;
    }

    /// <summary>The limit that passed.</summary>
    public TimeSpan Limit { get; }

    /// <summary>The process id of the worker that ran the task.</summary>
    public int Pid { get; }

    /// <summary>Whether the hard limit passed and the worker process was killed.</summary>
    public bool Hard { get; }
}
