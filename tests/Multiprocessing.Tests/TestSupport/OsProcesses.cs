using System.Reflection;
using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Tests.TestSupport;

/// <summary>Helpers to run the example programs and to watch OS processes.</summary>
public static class OsProcesses
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<OsProcess, System.Text.StringBuilder> Stderr = [];

    /// <summary>Whether <paramref name="pid"/> is a live (not zombie) process.</summary>
    public static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var text = File.ReadAllText(stat);
                var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
                return state is not ("Z" or "X");
            }
            catch (IOException)
            {
                return false;
            }
        }

        try
        {
            using var process = OsProcess.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The children of <paramref name="parent"/> (Linux: read from /proc).</summary>
    public static List<int> ChildPids(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == parent)
            .ToList();

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    /// <summary>Waits until none of <paramref name="pids"/> is alive; returns those still alive at the deadline.</summary>
    public static async Task<IReadOnlyList<int>> WaitAllGoneAsync(IEnumerable<int> pids, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        List<int> alive;
        do
        {
            alive = pids.Where(IsAlive).ToList();
            if (alive.Count == 0)
            {
                return alive;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        return alive;
    }

    /// <summary>Starts the Examples program built with the same configuration as this test assembly.</summary>
    public static OsProcess StartExample(params string[] args)
    {
        var configuration = typeof(OsProcesses).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var dll = Path.Combine(RepositoryRoot(), "src", "Examples", "bin", configuration, "net10.0", "Multiprocessing.Examples.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the solution first: {dll} is missing.", dll);
        }

        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = OsProcess.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");

        // Drain stderr as it comes, or a full pipe (log lines under load) would block the program.
        var stderr = new System.Text.StringBuilder();
        Stderr.Add(process, stderr);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>What an example started by <see cref="StartExample"/> wrote to stderr so far.</summary>
    public static string StderrOf(OsProcess process)
    {
        if (!Stderr.TryGetValue(process, out var stderr))
        {
            return string.Empty;
        }

        lock (stderr)
        {
            return stderr.ToString();
        }
    }

    /// <summary>Reads lines from <paramref name="process"/>'s stdout until one starts with <paramref name="prefix"/>.</summary>
    public static async Task<string> ReadLineStartingWithAsync(OsProcess process, string prefix, TimeSpan within)
    {
        using var cancel = new CancellationTokenSource(within);
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cancel.Token)
                ?? throw new InvalidOperationException($"The program ended before printing '{prefix}'.");
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    /// <summary>Sends SIGINT (what Ctrl+C sends) to <paramref name="pid"/> alone.</summary>
    public static void SendSigint(int pid) => Signal(pid, 2, "SIGINT");

    /// <summary>Sends SIGTERM (what <c>kill</c> and service managers send) to <paramref name="pid"/> alone.</summary>
    public static void SendSigterm(int pid) => Signal(pid, 15, "SIGTERM");

    private static void Signal(int pid, int signal, string name)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {name}) failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Parses "worker pids: 1, 2".</summary>
    public static IReadOnlyList<int> ParsePids(string line) =>
        line[(line.IndexOf(':') + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToList();

    /// <summary>The checkout this test assembly was built from (the folder of Multiprocessing.slnx).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Multiprocessing.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("Multiprocessing.slnx was not found above the test folder.");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
