namespace Multiprocessing.Internal;

/// <summary>The kinds of child process the worker entry can become.</summary>
internal static class ChildRoles
{
    public const string PoolWorker = "pool-worker";

    public const string Process = "process";

    public const string Manager = "manager";

    /// <summary>A warm process that waits for one of the roles above (see SpareProcesses).</summary>
    public const string Spare = "spare";
}
