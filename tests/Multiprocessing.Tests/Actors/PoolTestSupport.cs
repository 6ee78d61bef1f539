using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Tests.Actors;

/// <summary>Bounds and helpers shared by the pool tests. Every blocking wait is bounded so a bug fails instead of hanging.</summary>
internal static class PoolTestSupport
{
    /// <summary>The bound of every blocking wait on a result.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs a synchronous pool call (Apply, Map, StarMap) on another thread and waits at most <see cref="TestTimeout"/>,
    /// so a bug makes the test fail instead of hanging. The call's own exception propagates with its type.
    /// </summary>
    public static T Bounded<T>(Func<T> call) => Task.Run(call).WaitAsync(TestTimeout).GetAwaiter().GetResult();

    /// <summary>The void form of <see cref="Bounded{T}(Func{T})"/>.</summary>
    public static void Bounded(Action call) => Task.Run(call).WaitAsync(TestTimeout).GetAwaiter().GetResult();

    /// <summary>Joins <paramref name="pool"/> waiting at most <paramref name="timeout"/>; whether its workers exited.</summary>
    public static bool JoinWithin(Pool pool, TimeSpan timeout) =>
        pool.JoinAsync(timeout).WaitAsync(TestTimeout + timeout).GetAwaiter().GetResult();

    /// <summary>Reads every remaining result with a bounded <c>Next</c>, up to <see cref="StopIterationException"/>.</summary>
    public static List<T> Drain<T>(ResultIterator<T> iterator)
    {
        var results = new List<T>();
        while (true)
        {
            try
            {
                results.Add(iterator.Next(TestTimeout));
            }
            catch (StopIterationException)
            {
                return results;
            }
        }
    }

    /// <summary>
    /// Runs tasks until two different workers answered, so both workers of a two-process pool are registered and take
    /// work. Tests about completion order need that: a pool that is still starting hands all queued chunks to the
    /// first worker that is ready.
    /// </summary>
    public static IReadOnlySet<int> WarmUp(Pool pool)
    {
        var pids = new HashSet<int>();
        for (var attempt = 0; attempt < 20 && pids.Count < pool.Processes; attempt++)
        {
            pids.UnionWith(pool.MapAsync(TaskFunctions.SleepThenPid, [200, 200], chunksize: 1).Get(TestTimeout));
        }

        Assert.Equal(pool.Processes, pids.Count);
        return pids;
    }

    /// <summary>Whether process <paramref name="pid"/> is gone, waiting at most <see cref="TestTimeout"/> for it to exit.</summary>
    public static bool HasExited(int pid)
    {
        try
        {
            using var process = OsProcess.GetProcessById(pid);
            return process.WaitForExit(TestTimeout);
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>Waits until <paramref name="path"/> exists and holds a process id written by a task, then returns it.</summary>
    public static int WaitForPidFile(string path)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var pid))
            {
                return pid;
            }

            Thread.Sleep(20);
        }

        throw new TimeoutException($"No task wrote its process id to {path} within {TestTimeout}.");
    }

    /// <summary>A fresh empty directory for marker files; deleted by the caller.</summary>
    public static string NewTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "mp-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
