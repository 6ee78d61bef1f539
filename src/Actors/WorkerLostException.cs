namespace Multiprocessing;

/// <summary>
/// A task could not complete because the worker process running it died (killed, crashed, exited) as many times
/// as <c>multiprocessing.pool.max-retries</c> allows. Python's pool hangs forever in this case.
/// </summary>
public sealed class WorkerLostException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which worker died, how, and which task was lost.</param>
    /// <param name="pid">The process id of the worker that died last.</param>
    /// <param name="exitCode">Its exit code, when known.</param>
    public WorkerLostException(string message, int pid, int? exitCode)
        : base(message)
    {
        Pid = pid;
        ExitCode = exitCode;
    }

    /// <summary>The process id of the worker that died last while running the task.</summary>
    public int Pid { get; }

    /// <summary>The worker's exit code, when known (on Linux, 128 + signal number for a killed process).</summary>
    public int? ExitCode { get; }
}
