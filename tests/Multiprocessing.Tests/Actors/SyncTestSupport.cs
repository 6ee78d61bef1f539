using System.Diagnostics;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Bounds and helpers shared by the Event, Condition, Barrier and Pipe tests. Every wait is bounded, so a bug fails
/// the test instead of hanging it; no assertion depends on how fast something happened.
/// </summary>
internal static class SyncTestSupport
{
    /// <summary>The bound of every wait on another process.</summary>
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    /// <summary>Starts a child running <paramref name="target"/> with <paramref name="args"/>.</summary>
    public static Process StartChild(Delegate target, params object?[] args)
    {
        var process = new Process(target, args);
        process.Start();
        return process;
    }

    /// <summary>Joins <paramref name="process"/> (bounded) and asserts that its target returned without an exception.</summary>
    public static void AssertExitsCleanly(Process process)
    {
        process.Join(Within);
        Assert.False(process.IsAlive(), $"{process.Name} did not end within {Within}.");
        Assert.True(process.ExitCode == 0, $"{process.Name} ended with exit code {process.ExitCode}: {process.Exception}");
    }

    /// <summary>Kills <paramref name="process"/> if it still runs (cleanup after a failed assertion).</summary>
    public static void KillIfAlive(Process process)
    {
        if (process.Pid is not null && process.IsAlive())
        {
            process.Kill();
            process.Join(Within);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <see cref="Within"/>.</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Within, $"Timed out waiting until {what}.");
            Thread.Sleep(50);
        }
    }

    /// <summary>Runs a blocking call on another thread and waits at most <see cref="Within"/> for it.</summary>
    public static T Bounded<T>(Func<T> call) => Task.Run(call).WaitAsync(Within).GetAwaiter().GetResult();

    /// <summary>
    /// Runs <paramref name="call"/> on a new dedicated thread and waits at most <see cref="Within"/>: unlike pool threads,
    /// it is never the thread of an earlier call, which matters for locks owned per thread.
    /// </summary>
    public static T OnNewThread<T>(Func<T> call)
    {
        var result = default(T);
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = call();
            }
            catch (Exception ex)
            {
                error = ex;
            }
        })
        { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(Within), $"The call did not return within {Within}.");
        return error is null ? result! : throw new InvalidOperationException("The call on the new thread failed.", error);
    }

    /// <summary>Child helper: throws (so the child exits with code 1 and the parent sees why) unless <paramref name="condition"/> holds.</summary>
    public static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
