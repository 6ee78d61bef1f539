using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Multiprocessing.Internal.Runtime;

/// <summary>
/// Ctrl+C in a program that uses pools (pain point 18). Installed when the first pool starts, if
/// <c>multiprocessing.runtime.handle-ctrl-c</c> is on: the first SIGINT (Ctrl+C, also on Windows) is absorbed,
/// every live pool is terminated (its pending results fail with <see cref="OperationCanceledException"/>) and every
/// blocking wait of a pool (Get, Wait, Map, Next, Join) in progress raises one in its caller. Pools started after
/// that work normally. A second SIGINT ends the process at once with exit code 130
/// (128 + SIGINT, what a shell reports for a program ended by Ctrl+C), without exit handlers; its children see their
/// lifeline close and exit too.
/// </summary>
internal static class Interrupts
{
    private const int InterruptedExitCode = 128 + 2;
    private static readonly ConcurrentDictionary<object, Action> Targets = new();
    private static readonly object Gate = new();
    private static CancellationTokenSource _source = new();
    private static PosixSignalRegistration? _registration;
    private static bool _installed;
    private static int _signals;

    /// <summary>Cancelled by the next Ctrl+C: a blocking wait takes it when it starts.</summary>
    public static CancellationToken Token => Volatile.Read(ref _source).Token;

    /// <summary>Terminates <paramref name="owner"/> with <paramref name="onInterrupt"/> on Ctrl+C until <see cref="Unwatch"/>.</summary>
    public static void Watch(object owner, Action onInterrupt)
    {
        Install();
        Targets[owner] = onInterrupt;
    }

    public static void Unwatch(object owner) => Targets.TryRemove(owner, out _);

    /// <summary>The exception a blocking wait raises once Ctrl+C was pressed.</summary>
    public static OperationCanceledException Interrupted(CancellationToken token) =>
        new("Interrupted by Ctrl+C (SIGINT): the pools of this process were terminated. Press Ctrl+C again to end the process at once; " +
            "set multiprocessing.runtime.handle-ctrl-c = off to keep the default handling.",
            null,
            token);

    /// <summary>What the first Ctrl+C does: every watched pool is terminated, then every wait wakes up.</summary>
    public static void Interrupt()
    {
        var interrupted = Interlocked.Exchange(ref _source, new CancellationTokenSource());
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

        interrupted.Cancel();
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
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) > 1)
        {
            // The second Ctrl+C: the user does not want to wait for any cleanup. (The default action cannot be used:
            // a program started in the background inherits SIGINT ignored.)
            if (OperatingSystem.IsWindows())
            {
                Environment.Exit(InterruptedExitCode);
            }

            ExitNow(InterruptedExitCode);
        }

        Interrupt();
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitNow(int status);
}
