using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Internal.Processes;

/// <summary>
/// Starts child OS processes (pool workers, later the manager and Process children) "in the app's context":
/// <c>dotnet exec --runtimeconfig app.runtimeconfig.json --depsfile app.deps.json Multiprocessing.Worker.dll</c>,
/// so the child resolves every assembly the app resolves without any change to the app's Main.
/// </summary>
internal static class ChildLauncher
{
    public const string WorkerFileName = "Multiprocessing.Worker.dll";

    private static readonly Lazy<LaunchInfo> Info = new(Discover);

    /// <summary>Where the pieces are; throws a clear error when this app cannot host children.</summary>
    public static LaunchInfo Launch => Info.Value;

    /// <summary>Starts a child. Its stdin is a pipe the parent holds: when the parent dies, the child reads EOF and exits.</summary>
    /// <remarks>A pool worker or <c>Process</c> child is a warm spare when one fits (<see cref="SpareProcesses"/>).</remarks>
    public static ChildProcess Start(
        string role, IReadOnlyList<string> arguments, string token, byte[]? managerKey = null, Action<string>? stderrLine = null)
    {
        if (role is ChildRoles.PoolWorker or ChildRoles.Process && managerKey is null
            && SpareProcesses.TryTake(role, arguments, token, stderrLine) is { } spare)
        {
            return spare;
        }

        return Start(Launch, role, arguments, token, managerKey, stderrLine, Runtime.MultiprocessingRuntime.ChildOverrides);
    }

    /// <summary>Starts a child from <paramref name="info"/>'s files (another app's, for cluster worker nodes).</summary>
    public static ChildProcess Start(
        LaunchInfo info,
        string role,
        IReadOnlyList<string> arguments,
        string token,
        byte[]? managerKey,
        Action<string>? stderrLine,
        string? runtimeOverrides)
    {
        var start = new ProcessStartInfo(info.DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(info.RuntimeConfig);
        start.ArgumentList.Add("--depsfile");
        start.ArgumentList.Add(info.DepsFile);
        foreach (var probe in info.ProbingPaths)
        {
            start.ArgumentList.Add("--additionalprobingpath");
            start.ArgumentList.Add(probe);
        }

        start.ArgumentList.Add(info.WorkerDll);
        start.ArgumentList.Add(role);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--parent");
        start.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var process = new OsProcess { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(process, stderrLine);
        if (!process.Start())
        {
            throw new MultiprocessingException($"Could not start a {role} process with {info.DotnetHost}.");
        }

        child.Attach();

        // Secrets go through the stdin pipe, which only this process holds: never on the command line or in the
        // environment, where other processes of the same user could read them.
        var secrets = new ChildSecrets(token, KeyRing.Snapshot(), managerKey, runtimeOverrides);
        process.StandardInput.WriteLine(StartLines.Encode(secrets));
        process.StandardInput.Flush();
        return child;
    }

    /// <summary>
    /// The files to start children of the app <paramref name="appDll"/> with (its runtimeconfig, deps and the worker
    /// entry next to it), for a worker node that runs another app's code.
    /// </summary>
    public static LaunchInfo ForApp(string appDll)
    {
        var full = Path.GetFullPath(appDll);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"The app {full} does not exist: pass the path of the app's main .dll (its build output).", full);
        }

        var dir = Path.GetDirectoryName(full)!;
        var stem = Path.GetFileNameWithoutExtension(full);
        var deps = Path.Combine(dir, stem + ".deps.json");
        var runtimeConfig = Path.Combine(dir, stem + ".runtimeconfig.json");
        var worker = Path.Combine(dir, WorkerFileName);
        foreach (var needed in new[] { deps, runtimeConfig, worker })
        {
            if (!File.Exists(needed))
            {
                throw new FileNotFoundException(
                    $"{needed} is missing: --app needs a framework-dependent build output of an app that references Multiprocessing.", needed);
            }
        }

        return new LaunchInfo(FindDotnet(), deps, runtimeConfig, worker, []);
    }

    private static LaunchInfo Discover()
    {
        if (!RuntimeFeature.IsDynamicCodeSupportedSafe())
        {
            throw new PlatformNotSupportedException(
                "Worker processes cannot be started from a NativeAOT app: they run the app's own assemblies with the dotnet host. " +
                "Publish framework-dependent (the default) instead.");
        }

        // The host joins these with ';' on every platform; the app's own file comes first.
        var deps = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string)?
            .Split(';', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault();
        if (string.IsNullOrEmpty(deps) || !File.Exists(deps))
        {
            throw new PlatformNotSupportedException(
                "This app has no deps.json on disk (single-file publish?), so worker processes cannot load its code. " +
                "Publish it framework-dependent without PublishSingleFile.");
        }

        var runtimeConfig = Path.Combine(
            Path.GetDirectoryName(deps)!,
            Path.GetFileName(deps)[..^".deps.json".Length] + ".runtimeconfig.json");
        if (!File.Exists(runtimeConfig))
        {
            throw new PlatformNotSupportedException(
                $"The app's runtime configuration {runtimeConfig} is missing, so worker processes cannot start. " +
                "Self-contained and single-file apps are not supported; publish framework-dependent.");
        }

        var worker = Path.Combine(AppContext.BaseDirectory, WorkerFileName);
        if (!File.Exists(worker))
        {
            throw new PlatformNotSupportedException(
                $"{WorkerFileName} is not next to the app ({AppContext.BaseDirectory}). It comes with the Multiprocessing " +
                "package; make sure the app references it directly and is not published as a single file.");
        }

        var probing = (AppContext.GetData("PROBING_DIRECTORIES") as string)?
            .Split(';', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return new LaunchInfo(FindDotnet(), deps, runtimeConfig, worker, probing);
    }

    private static string FindDotnet()
    {
        var exe = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";
        var processPath = Environment.ProcessPath;
        if (processPath is not null && string.Equals(Path.GetFileName(processPath), exe, StringComparison.OrdinalIgnoreCase))
        {
            return processPath;
        }

        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
        };
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        var root = Directory.GetParent(runtimeDir.TrimEnd(Path.DirectorySeparatorChar))?.Parent?.Parent?.FullName;
        if (root is not null)
        {
            candidates.Add(Path.Combine(root, exe));
        }

        var dotnetRoot = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (dotnetRoot is not null)
        {
            candidates.Add(Path.Combine(dotnetRoot, exe));
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (dir.Length > 0)
            {
                candidates.Add(Path.Combine(dir, exe));
            }
        }

        return candidates.FirstOrDefault(c => c is not null && File.Exists(c))
            ?? throw new PlatformNotSupportedException(
                "The dotnet host was not found (looked at the process path, DOTNET_HOST_PATH, the runtime's folder, " +
                "DOTNET_ROOT and PATH). Install the .NET runtime or set DOTNET_ROOT.");
    }

    private static class RuntimeFeature
    {
        public static bool IsDynamicCodeSupportedSafe() => System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported;
    }
}

/// <summary>The files a child process is started from.</summary>
internal sealed record LaunchInfo(string DotnetHost, string DepsFile, string RuntimeConfig, string WorkerDll, IReadOnlyList<string> ProbingPaths);

/// <summary>A started child: its OS process, its stdin lifeline, and the tail of its stderr for error reports.</summary>
internal sealed class ChildProcess(OsProcess process, Action<string>? stderrLine) : IDisposable
{
    private volatile Action<string>? _stderrLine = stderrLine;

    private const int TailLines = 20;
    private readonly System.Collections.Generic.Queue<string> _tail = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Pid { get; private set; }

    /// <summary>Completes with the exit code once the process has exited and its stderr is drained.</summary>
    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    public string StderrTail
    {
        get
        {
            lock (_tail)
            {
                return string.Join(Environment.NewLine, _tail);
            }
        }
    }

    internal void Attach()
    {
        Pid = process.Id;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_tail)
            {
                _tail.Enqueue(e.Data);
                if (_tail.Count > TailLines)
                {
                    _tail.Dequeue();
                }
            }

            if (_stderrLine is { } forward)
            {
                forward(e.Data);
            }
            else
            {
                Console.Error.WriteLine(e.Data);
            }
        };
        process.Exited += (_, _) =>
        {
            process.WaitForExit();
            _exited.TrySetResult(process.ExitCode);
        };
        process.BeginErrorReadLine();
        if (process.HasExited)
        {
            process.WaitForExit();
            _exited.TrySetResult(process.ExitCode);
        }
    }

    /// <summary>Where the child's stderr lines go (the parent's stderr when <see langword="null"/>); a spare gets its user's.</summary>
    public Action<string>? StderrLine
    {
        get => _stderrLine;
        set => _stderrLine = value;
    }

    /// <summary>Writes one line to the child's stdin; false when the child is gone.</summary>
    public bool TryWriteLine(string line)
    {
        try
        {
            process.StandardInput.WriteLine(line);
            process.StandardInput.Flush();
            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Kills the process (SIGKILL) if it is still running.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone or not ours any more.
        }
    }

    /// <summary>Closes the child's stdin: the child treats EOF as "the parent is gone" and exits at once.</summary>
    public void CloseLifeline()
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (Exception)
        {
            // Best effort: the process may be gone already.
        }
    }

    public void Dispose() => process.Dispose();

    /// <summary>Describes an exit code, naming the signal on Unix (128 + n).</summary>
    public static string DescribeExit(int code)
    {
        if (!OperatingSystem.IsWindows() && code > 128 && code < 160)
        {
            var signal = code - 128;
            var name = signal switch
            {
                9 => "SIGKILL",
                15 => "SIGTERM",
                6 => "SIGABRT",
                11 => "SIGSEGV",
                2 => "SIGINT",
                _ => $"signal {signal}",
            };
            return $"exit code {code} ({name})";
        }

        return $"exit code {code}";
    }
}
