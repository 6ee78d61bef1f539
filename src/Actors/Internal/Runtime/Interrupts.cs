using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Multiprocessing.Internal.Runtime;

/// <summary>
/// Ctrl+C in a program that uses pools (pain point 18). Installed when the first pool starts, if
/// <c>multiprocessing.runtime.handle-ctrl-c</c> is on: the first SIGINT (Ctrl+C, also on Windows) is absorbed,
/// every live pool is terminated and every blocking wait of a pool (Get, Wait, Map, Next, Join) raises one
/// <see cref="OperationCanceledException"/> in its caller. A second SIGINT ends the process at once (the default
/// action: killed by SIGINT, exit status 130).
/// </summary>
internal static class Interrupts
{
    private static readonly CancellationTokenSource Source = new();
    private static readonly ConcurrentDictionary<object, Action> Targets = new();
    private static readonly object Gate = new();
    private static PosixSignalRegistration? _registration;
    private static bool _installed;
    private static int _signals;

    /// <summary>Cancelled by the first Ctrl+C; never reset.</summary>
    public static CancellationToken Token => Source.Token;

    /// <summary>Whether Ctrl+C was pressed.</summary>
    public static bool Requested => Source.IsCancellationRequested;

    /// <summary>Terminates <paramref name="owner"/> with <paramref name="onInterrupt"/> on Ctrl+C until <see cref="Unwatch"/>.</summary>
    public static void Watch(object owner, Action onInterrupt)
    {
        Install();
        Targets[owner] = onInterrupt;
    }

    public static void Unwatch(object owner) => Targets.TryRemove(owner, out _);

    /// <summary>The exception a blocking wait raises once Ctrl+C was pressed.</summary>
    public static OperationCanceledException Interrupted(Exception? inner) =>
        new("Interrupted by Ctrl+C (SIGINT): the pools of this process were terminated. Press Ctrl+C again to end the process at once; " +
            "set multiprocessing.runtime.handle-ctrl-c = off to keep the default handling.",
            inner,
            Source.Token);

    /// <summary>What the first Ctrl+C does: every watched pool is terminated, then every wait wakes up.</summary>
    public static void Interrupt()
    {
        foreach (var terminate in Targets.Values)
        {
            try
            {
                terminate();
            }
            catch (Exception)
            {
                // One pool failing to terminate must not keep the others running.
            }
        }

        Source.Cancel();
    }

    private static void Install()
    {
        lock (Gate)
        {
            if (_installed)
            {
                return;
            }

            _installed = true;
            if (MultiprocessingRuntime.Config.GetBoolean("multiprocessing.runtime.handle-ctrl-c"))
            {
                _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            }
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1)
        {
            // The second Ctrl+C: the default action ends the process now.
            _registration?.Dispose();
            context.Cancel = false;
            return;
        }

        context.Cancel = true;
        Interrupt();
    }
}
