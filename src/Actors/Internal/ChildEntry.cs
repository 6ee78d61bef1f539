using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Actor;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Internal;

/// <summary>
/// Where <c>Multiprocessing.Worker.dll</c> hands over: the Main of every child process (pool worker, and later the
/// manager and Process children). Every child exits when its parent dies: its stdin is a pipe that only the parent
/// holds, so the parent's death is an EOF here, at once, even on SIGKILL; a parent-PID check backs it up.
/// </summary>
internal static class ChildEntry
{
    public const int ParentGoneExitCode = 3;
    public const int UsageExitCode = 2;

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("Multiprocessing.Worker is started by the Multiprocessing library, not by hand.");
            return UsageExitCode;
        }

        var role = args[0];
        var options = ParseOptions(args.AsSpan(1));
        var token = Environment.GetEnvironmentVariable(ChildLauncher.TokenVariable) ?? string.Empty;
        Environment.SetEnvironmentVariable(ChildLauncher.TokenVariable, null);
        if (options.TryGetValue("parent", out var parentText) && int.TryParse(parentText, CultureInfo.InvariantCulture, out var parent))
        {
            WatchParent(parent);
        }

        ActorSystem system;
        switch (role)
        {
            case ChildRoles.PoolWorker:
                system = MultiprocessingRuntime.System;
                system.ActorOf(
                    WorkerActor.Props(options["pool"], int.Parse(options["id"], CultureInfo.InvariantCulture), token),
                    "worker");
                break;
            default:
                Console.Error.WriteLine($"Unknown child role '{role}'.");
                return UsageExitCode;
        }

        system.WhenTerminated.Wait();
        return 0;
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        return options;
    }

    private static void WatchParent(int parent)
    {
        var stdin = new Thread(() =>
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (input.Read(buffer, 0, buffer.Length) > 0)
                {
                    // The parent never writes; anything read is ignored.
                }
            }
            catch (Exception)
            {
                // A broken stdin means the same as EOF.
            }

            Environment.Exit(ParentGoneExitCode);
        })
        { IsBackground = true, Name = "multiprocessing-parent-lifeline" };
        stdin.Start();

        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var poll = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(500);
                if (GetParentPid() != parent)
                {
                    Environment.Exit(ParentGoneExitCode);
                }
            }
        })
        { IsBackground = true, Name = "multiprocessing-parent-check" };
        poll.Start();
    }

    [DllImport("libc", EntryPoint = "getppid")]
    private static extern int GetParentPid();
}
