using System.Collections;
using System.Text;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing.Internal.Processes;

/// <summary>
/// Warm spare child processes (the idea of Python's <c>forkserver</c>, for a runtime that cannot fork): the .NET
/// runtime and the actor system of a child are up before anyone needs it, and the child learns its role (pool worker
/// or <c>Process</c> child) from one more line on its stdin, the pipe only this process holds. The main process keeps
/// <c>multiprocessing.runtime.spare-processes</c> of them once it has started its first child, and replaces each one
/// it hands out. A spare whose start-time state (environment, working directory, runtime configuration) no longer
/// matches this process's is stopped instead of used, so a child sees what a fresh child would.
/// </summary>
internal static class SpareProcesses
{
    private static readonly object Gate = new();
    private static readonly List<Spare> Ready = [];
    private static bool _exitHooked;
    private static bool _closed;
    private static int _replenishing;

    /// <summary>How many spares are running (for tests and diagnostics).</summary>
    public static int Count
    {
        get
        {
            lock (Gate)
            {
                return Ready.Count;
            }
        }
    }

    /// <summary>The PIDs of the running spares (for tests that count this process's children).</summary>
    public static IReadOnlyList<int> Pids
    {
        get
        {
            lock (Gate)
            {
                return [.. Ready.Select(s => s.Child.Pid)];
            }
        }
    }

    /// <summary>
    /// Hands a spare the role <paramref name="role"/>; <see langword="null"/> when none fits (the caller starts a
    /// fresh child). Spares that no longer match this process's state are stopped on the way.
    /// </summary>
    public static ChildProcess? TryTake(string role, IReadOnlyList<string> arguments, string token, Action<string>? stderrLine)
    {
        var state = StartState.Now();
        while (true)
        {
            Spare? spare;
            lock (Gate)
            {
                if (Ready.Count == 0)
                {
                    return null;
                }

                spare = Ready[0];
                Ready.RemoveAt(0);
            }

            if (spare.Child.HasExited)
            {
                spare.Child.Dispose();
                continue;
            }

            if (!spare.State.Equals(state))
            {
                spare.Child.CloseLifeline();
                continue;
            }

            var assignment = new ProcessProtocol.ChildAssignment(role, [.. arguments], token, KeyRing.Snapshot());
            spare.Child.StderrLine = stderrLine;
            if (spare.Child.TryWriteLine(StartLines.Encode(assignment)))
            {
                return spare.Child;
            }

            spare.Child.Kill();
        }
    }

    /// <summary>
    /// Starts spares until the configured number run, in the background. Called once a child has come up (a pool
    /// worker or a <c>Process</c> child registered), so spares never compete with the start of children in use.
    /// </summary>
    public static void Replenish()
    {
        if (Process.Current.IsChild || !MultiprocessingRuntime.IsStarted || Interlocked.Exchange(ref _replenishing, 1) == 1)
        {
            return;
        }

        Task.Run(() =>
        {
            try
            {
                while (StartOne())
                {
                }
            }
            finally
            {
                Volatile.Write(ref _replenishing, 0);
            }
        });
    }

    /// <summary>Replaces the configured number of spares (tests); <see langword="null"/> goes back to the configuration.</summary>
    internal static int? TargetOverride { get; set; }

    private static int Target => TargetOverride ?? MultiprocessingRuntime.Config.GetInt("multiprocessing.runtime.spare-processes", 0);

    /// <summary>Stops the spares beyond the target (after the target was lowered).</summary>
    internal static void Trim()
    {
        var target = Target;
        List<Spare> extra;
        lock (Gate)
        {
            extra = [.. Ready.Skip(Math.Max(0, target))];
            Ready.RemoveRange(Math.Min(Ready.Count, Math.Max(0, target)), extra.Count);
        }

        foreach (var spare in extra)
        {
            spare.Child.CloseLifeline();
        }
    }

    /// <summary>Starts one spare if fewer than the configured number run; false when none was started.</summary>
    private static bool StartOne()
    {
        var target = Target;
        lock (Gate)
        {
            if (_closed || Ready.Count >= target)
            {
                return false;
            }

            if (!_exitHooked)
            {
                _exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
            }
        }

        var state = StartState.Now();
        ChildProcess child;
        try
        {
            child = ChildLauncher.Start(
                ChildLauncher.Launch,
                ChildRoles.Spare,
                ["--parent-address", MultiprocessingRuntime.Address.ToString()],
                string.Empty,
                null,
                null,
                MultiprocessingRuntime.ChildOverrides);
        }
        catch (Exception ex) when (ex is MultiprocessingException or IOException or PlatformNotSupportedException
                                       or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Spares only save time: the next child starts fresh.
            return false;
        }

        lock (Gate)
        {
            if (_closed)
            {
                child.CloseLifeline();
                return false;
            }

            Ready.Add(new Spare(child, state));
            return true;
        }
    }

    /// <summary>Stops every spare (at process exit, or when a test wants none).</summary>
    public static void StopAll()
    {
        List<Spare> stopping;
        lock (Gate)
        {
            _closed = true;
            stopping = [.. Ready];
            Ready.Clear();
        }

        foreach (var spare in stopping)
        {
            spare.Child.CloseLifeline();
        }
    }

    private sealed record Spare(ChildProcess Child, StartState State);

    /// <summary>What a child inherits at its start and a spare fixed at its own: environment, working directory, runtime configuration.</summary>
    private sealed record StartState(string Environment, string Directory, string? Overrides)
    {
        public static StartState Now()
        {
            var variables = new List<string>();
            foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            {
                variables.Add($"{entry.Key}={entry.Value}");
            }

            variables.Sort(StringComparer.Ordinal);
            var text = new StringBuilder();
            foreach (var variable in variables)
            {
                text.Append(variable).Append('\0');
            }

            return new StartState(text.ToString(), System.IO.Directory.GetCurrentDirectory(), MultiprocessingRuntime.ChildOverrides);
        }
    }
}
