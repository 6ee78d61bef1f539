namespace Multiprocessing;

/// <summary>
/// The identity of a process as seen from inside it: Python's <c>current_process()</c> and <c>parent_process()</c>
/// (PR-16, PR-17). Pool workers are named <c>PoolWorker-N</c> and are daemons (P-07).
/// </summary>
/// <param name="Name">The process name (<c>MainProcess</c> for the program itself).</param>
/// <param name="Pid">The OS process id.</param>
/// <param name="Daemon">Whether it is a daemon: it may not start children and is stopped with its parent.</param>
public sealed record ProcessInfo(string Name, int Pid, bool Daemon)
{
    /// <summary>Whether this is a child started by the library (a pool worker or a <see cref="Process"/>).</summary>
    internal bool IsChild { get; init; }
}
