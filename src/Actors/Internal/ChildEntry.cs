using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using MessagePack;
using Multiprocessing.Internal.Cluster;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Processes.ProcessProtocol;

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
    public const int SigtermExitCode = 128 + 15;
    private static readonly TimeSpan WarmUpLimit = TimeSpan.FromSeconds(10);
    private static PosixSignalRegistration? _sigterm;
    private static PosixSignalRegistration? _sigint;

    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("Multiprocessing.Worker is started by the Multiprocessing library, not by hand.");
            return UsageExitCode;
        }

        var role = args[0];
        // Overlaps with the actor system's start below: about a tenth off a single child's start.
        var warmUp = role == ChildRoles.Manager ? Task.CompletedTask : ChildWarmUp.Start(role);

        ExitOnSigterm();
        var options = ParseOptions(args.AsSpan(1));
        var secrets = ReadSecrets();
        var token = secrets?.Token ?? string.Empty;
        KeyRing.Load(secrets?.Keys);
        if (!string.IsNullOrWhiteSpace(secrets?.RuntimeOverrides))
        {
            MultiprocessingRuntime.Configure(secrets.RuntimeOverrides);
        }

        if (options.TryGetValue("app-files", out var appFiles))
        {
            AppAssemblies.Install(appFiles);
        }

        var parent = 0;
        var hasParent = options.TryGetValue("parent", out var parentText) && int.TryParse(parentText, CultureInfo.InvariantCulture, out parent);
        if (hasParent)
        {
            WatchParentPid(parent);
        }

        if (role == ChildRoles.Spare)
        {
            // Warm up (runtime, actor system, the connection to the parent), then wait for the role on stdin.
            if (WaitForAssignment(options, warmUp) is not { } assignment)
            {
                return ParentGoneExitCode;
            }

            role = assignment.Role;
            token = assignment.Token;
            KeyRing.Load(assignment.Keys);
            foreach (var (key, value) in ParseOptions(assignment.Arguments))
            {
                options[key] = value;
            }
        }

        if (hasParent)
        {
            WatchParentLifeline();
        }

        switch (role)
        {
            case ChildRoles.PoolWorker:
                IgnoreSigint();
                var id = int.Parse(options["id"], CultureInfo.InvariantCulture);
                Process.SetCurrent(
                    new ProcessInfo($"PoolWorker-{id}", Environment.ProcessId, Daemon: true),
                    new ProcessInfo("MainProcess", parent, Daemon: false));
                var system = MultiprocessingRuntime.System;
                system.ActorOf(WorkerActor.Props(options["pool"], id, token), "worker");
                system.WhenTerminated.Wait();

                // When a task called Environment.Exit(n), returning from Main must not replace n.
                return Environment.ExitCode;
            case ChildRoles.Manager:
                Process.SetCurrent(
                    new ProcessInfo($"SyncManager-{Environment.ProcessId}", Environment.ProcessId, Daemon: false),
                    new ProcessInfo("MainProcess", parent, Daemon: false));
                var managerSystem = options.TryGetValue("hostname", out var hostname) && options.TryGetValue("port", out var port)
                    ? MultiprocessingRuntime.Initialize(ConfigurationFactory.ParseString(
                        $"akka.remote.dot-netty.tcp {{ hostname = \"{hostname}\", port = {int.Parse(port, CultureInfo.InvariantCulture)} }}"))
                    : MultiprocessingRuntime.System;
                ManagerAccess.Configure(secrets?.ManagerKey ?? [], ActorPath.Parse(options["owner"]).Address);
                var manager = managerSystem.ActorOf(ManagerActor.Props(), ManagerPath.Name);
                managerSystem.ActorSelection(options["owner"]).Tell(new ManagerReady(Environment.ProcessId, token), manager);
                managerSystem.WhenTerminated.Wait();
                return Environment.ExitCode;
            case ChildRoles.Process:
                return RunProcess(options["supervisor"], int.Parse(options["id"], CultureInfo.InvariantCulture), token, parent);
            default:
                Console.Error.WriteLine($"Unknown child role '{role}'.");
                return UsageExitCode;
        }
    }

    /// <summary>A <c>Process</c> child: fetch the target, run it on this (main) thread, report how it ended, exit.</summary>
    private static int RunProcess(string supervisorPath, int id, string token, int parent)
    {
        var system = MultiprocessingRuntime.System;
        var received = new TaskCompletionSource<(RunTarget, IActorRef)>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(ChildProcessActor.Props(supervisorPath, id, token, received), "process");
        RunTarget target;
        IActorRef supervisor;
        try
        {
            (target, supervisor) = received.Task.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"Process {id}: {ex.Message}");
            return 1;
        }

        Process.SetCurrent(
            new ProcessInfo(target.Name, Environment.ProcessId, target.Daemon),
            new ProcessInfo(target.ParentName, target.ParentPid, Daemon: false));
        RemoteError? error = null;
        try
        {
            TaskRunner.For(target.Target).RunChunk(target.Args);
        }
        catch (Exception ex)
        {
            // PR-07: the traceback goes to stderr after a line "Process <name>:", and (beyond Python) to the parent.
            Console.Error.WriteLine($"Process {target.Name}:");
            Console.Error.WriteLine(ex);
            error = RemoteError.From(ex);
        }

        try
        {
            // Puts sent without waiting must have reached their queues before the parent hears the target ended.
            Caller.DrainWrites();
        }
        catch (Exception ex)
        {
            error ??= RemoteError.From(ex);
        }

        try
        {
            supervisor.Ask<ChildFinishedAck>(new ChildFinished(id, error), TimeSpan.FromSeconds(5)).Wait();
        }
        catch (Exception)
        {
            // The parent is gone or slow; the exit code still tells how the target ended.
        }

        // As Python's children end with os._exit once the target's outcome is out: the parent has it and writes are
        // drained, so the actor system is not shut down phase by phase (tens of milliseconds).
        ProcessEnd.ExitNow(error is null ? 0 : 1, MultiprocessingRuntime.ShutdownTimeout);
        return error is null ? 0 : 1;
    }

    /// <summary>The first line of stdin: the parent's secrets (start token, authkeys), base64 MessagePack.</summary>
    private static ChildSecrets? ReadSecrets()
    {
        try
        {
            var line = Console.In.ReadLine();
            return string.IsNullOrEmpty(line)
                ? null
                : StartLines.DecodeSecrets(line);
        }
        catch (Exception ex) when (ex is FormatException or MessagePackSerializationException or IOException)
        {
            Console.Error.WriteLine($"Could not read the parent's start data: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// A spare: brings the actor system up and connects to the parent (the costly part of a child's start), then
    /// reads its <see cref="ChildAssignment"/> from stdin. <see langword="null"/> when stdin ends first (the parent
    /// stopped the spare or died).
    /// </summary>
    private static ChildAssignment? WaitForAssignment(Dictionary<string, string> options, Task warmUp)
    {
        var system = MultiprocessingRuntime.System;
        if (options.TryGetValue("parent-address", out var parentAddress))
        {
            try
            {
                // The association to the parent (TCP, Akka handshake) is made now, not when the role's first message goes.
                system.ActorSelection($"{parentAddress}/system").Ask<ActorIdentity>(new Identify(0), TimeSpan.FromSeconds(10)).Wait();
            }
            catch (Exception)
            {
                // Only a warm-up: the role's own messages connect if this did not.
            }
        }

        // Bounded: it never fails, and a spare that is slow to warm still takes its role.
        warmUp.Wait(WarmUpLimit);

        try
        {
            var line = Console.In.ReadLine();
            return string.IsNullOrEmpty(line)
                ? null
                : StartLines.DecodeAssignment(line);
        }
        catch (Exception ex) when (ex is FormatException or MessagePackSerializationException or IOException)
        {
            Console.Error.WriteLine($"Could not read the parent's assignment: {ex.Message}");
            return null;
        }
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

    /// <summary>
    /// SIGTERM ends a child at once with exit code 143 (reported as -15, PR-08), as the default signal action does
    /// in Python's children, instead of waiting for the running target to return.
    /// </summary>
    private static void ExitOnSigterm()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            new Thread(() => Environment.Exit(SigtermExitCode)) { IsBackground = true }.Start();
        });
    }

    /// <summary>
    /// Ctrl+C in a terminal reaches the whole process group: pool workers ignore it and let the driver decide
    /// (pain point 18: Python's workers each raise KeyboardInterrupt). The driver terminates its pools on Ctrl+C.
    /// </summary>
    private static void IgnoreSigint() =>
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, static context => context.Cancel = true);

    /// <summary>The parent's death is an EOF on stdin (the pipe only the parent holds): exit at once.</summary>
    private static void WatchParentLifeline()
    {
        var stdin = new Thread(() =>
        {
            try
            {
                while (Console.In.ReadLine() is not null)
                {
                    // The parent writes nothing after the secrets line (and a spare's assignment); anything read is ignored.
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
    }

    /// <summary>Backs the lifeline up: a child re-parented (its parent died) exits within half a second.</summary>
    private static void WatchParentPid(int parent)
    {
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
