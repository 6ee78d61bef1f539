using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiprocessing.Examples;

/// <summary>
/// An <c>mp host</c> or <c>mp worker</c> process started by an example: finds the <c>mp</c> tool, waits for its
/// ready line, and stops it with SIGTERM (a graceful leave) or SIGKILL.
/// </summary>
public sealed partial class ClusterNodeProcess : IDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _lines = [];

    private ClusterNodeProcess(System.Diagnostics.Process process, string readyPrefix)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _ready.TrySetException(new InvalidOperationException($"mp exited before it was ready: {string.Join(" | ", Lines)}"));
                return;
            }

            lock (_lines)
            {
                _lines.Add(e.Data);
            }

            if (e.Data.StartsWith(readyPrefix, StringComparison.Ordinal))
            {
                _ready.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lines)
                {
                    _lines.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Starts <c>mp host</c> on a free port; returns it with its <c>host:port</c>.</summary>
    public static (ClusterNodeProcess Node, string Address) StartHost(string authkey, params string[] extra)
    {
        var node = Start(["host", "--port", "0", .. extra], authkey, "mp host ready at ");
        var line = node.WaitReady();
        var address = line["mp host ready at ".Length..].Split(' ')[0];
        return (node, address);
    }

    /// <summary>Starts <c>mp worker</c> joined to <paramref name="host"/>.</summary>
    public static ClusterNodeProcess StartWorker(string host, int processes, string authkey, params string[] extra)
    {
        var node = Start(["worker", "--join", host, "--processes", processes.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra], authkey, "mp worker ready");
        node.WaitReady();
        return node;
    }

    /// <summary>
    /// Starts <c>dotnet mp.dll</c> with <paramref name="arguments"/>; in the network namespace <paramref name="netns"/>
    /// (through <c>ip netns exec</c>) when given.
    /// </summary>
    public static ClusterNodeProcess Start(IReadOnlyList<string> arguments, string authkey, string readyPrefix, string? netns = null) =>
        StartProgram(["dotnet", FindMp(), .. arguments], authkey, readyPrefix, netns);

    /// <summary>Starts <paramref name="command"/> (optionally in a network namespace) and follows its output.</summary>
    public static ClusterNodeProcess StartProgram(IReadOnlyList<string> command, string authkey, string readyPrefix, string? netns = null)
    {
        IReadOnlyList<string> full = netns is null ? command : ["ip", "netns", "exec", netns, .. command];
        var start = new ProcessStartInfo(full[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in full.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["MP_AUTHKEY"] = authkey;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("Could not start mp.");
        return new ClusterNodeProcess(process, readyPrefix);
    }

    /// <summary>
    /// The <c>mp</c> tool's mp.dll: <c>MP_DLL</c> if set, else the build output of src/Host in this checkout (Release,
    /// then Debug), found by walking up from the app's folder.
    /// </summary>
    public static string FindMp()
    {
        if (Environment.GetEnvironmentVariable("MP_DLL") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var configuration in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(dir.FullName, "src", "Host", "bin", configuration, "net10.0", "mp.dll");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("mp.dll was not found: build src/Host (dotnet build -c Release) or set MP_DLL to its path.");
    }

    public string WaitReady(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        if (!_ready.Task.Wait(limit))
        {
            throw new TimeoutException($"mp was not ready within {limit.TotalSeconds} s: {string.Join(" | ", Lines)}");
        }

        return _ready.Task.Result;
    }

    /// <summary>SIGTERM: the node leaves the cluster gracefully. Returns its exit code, or null if it did not exit in time.</summary>
    public int? Stop(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
        }

        return _process.WaitForExit(timeout ?? TimeSpan.FromSeconds(15)) ? _process.ExitCode : null;
    }

    /// <summary>SIGKILL of the node process (its worker processes exit through their lifeline).</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the process to end; its exit code, or null if it is still running after <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
