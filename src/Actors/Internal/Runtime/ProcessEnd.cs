using Akka.Actor;

namespace Multiprocessing.Internal.Runtime;

/// <summary>
/// What a process must hand back before it ends (held lock leases, prefetched queue items), whichever way it ends:
/// through the actor system's coordinated shutdown (program exit, SIGTERM), or at once, as a child does once the
/// parent has its outcome (<see cref="ExitNow"/>). Each step is given back with an acknowledgement, within a bound.
/// </summary>
internal static class ProcessEnd
{
    private static readonly object Gate = new();
    private static readonly List<(string Name, Func<Task> Step)> Steps = [];

    /// <summary>Adds a step; it runs once, when the process ends.</summary>
    public static void Register(string name, Func<Task> step)
    {
        lock (Gate)
        {
            Steps.Add((name, step));
        }
    }

    /// <summary>Runs every registered step (together), waiting at most <paramref name="limit"/>.</summary>
    public static Task RunAsync(TimeSpan limit)
    {
        List<Func<Task>> steps;
        lock (Gate)
        {
            steps = [.. Steps.Select(s => s.Step)];
            Steps.Clear();
        }

        if (steps.Count == 0)
        {
            return Task.CompletedTask;
        }

        return Task.WhenAll(steps.Select(step => Task.Run(async () =>
        {
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The process is ending: what was not handed back is released when its peers see it gone.
            }
        }))).WaitAsync(limit).ContinueWith(
            static _ => { },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Runs the steps as a phase of <paramref name="system"/>'s coordinated shutdown.</summary>
    public static void Install(ActorSystem system, TimeSpan limit) =>
        CoordinatedShutdown.Get(system).AddTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind,
            "multiprocessing-process-end",
            async () =>
            {
                await RunAsync(limit).ConfigureAwait(false);
                return Akka.Done.Instance;
            });

    /// <summary>
    /// Ends this child at once with <paramref name="exitCode"/>, as Python's children end with <c>os._exit</c>: the
    /// steps run first, then exit handlers (non-daemon children are joined, PR-14), but not the actor system's phased
    /// shutdown (tens of milliseconds). For a child whose parent already holds everything it produced.
    /// </summary>
    public static void ExitNow(int exitCode, TimeSpan limit)
    {
        RunAsync(limit).Wait(limit);
        ShutdownHook.Skip();
        Environment.Exit(exitCode);
    }
}
