namespace Multiprocessing.Internal;

/// <summary>The kinds of child process the worker entry can become.</summary>
internal static class ChildRoles
{
    public const string PoolWorker = "pool-worker";

    public const string Process = "process";

    public const string Manager = "manager";
}
