using System.Text;
using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Examples;

/// <summary>
/// Runs every registered example in turn, each in its own process as a user would (so one example's runtime
/// settings cannot affect the next), prints each one's OK line, and ends with "OK all".
/// </summary>
public static class AllExamples
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <param name="names">The examples, in order.</param>
    /// <param name="arguments">Arguments for some of them (by name); the others run without.</param>
    /// <returns>0 when every example printed its OK line.</returns>
    public static int Run(IReadOnlyList<string> names, IReadOnlyDictionary<string, string[]> arguments)
    {
        var failed = new List<string>();
        foreach (var name in names)
        {
            Console.WriteLine($"=== {name}");
            var (exitCode, output) = RunOne(name, arguments.GetValueOrDefault(name) ?? []);
            var ok = $"OK {name}";
            if (exitCode == 0 && output.Split('\n').Any(line => line.TrimEnd('\r') == ok))
            {
                Console.WriteLine(ok);
            }
            else
            {
                Console.WriteLine(output.TrimEnd());
                Console.WriteLine($"FAILED {name} (exit code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none: timed out"})");
                failed.Add(name);
            }
        }

        if (failed.Count > 0)
        {
            Console.WriteLine($"FAILED all: {string.Join(", ", failed)}");
            return 1;
        }

        Console.WriteLine("OK all");
        return 0;
    }

    /// <summary>Runs this program again with <paramref name="name"/>; its exit code (null on timeout) and its output.</summary>
    private static (int? ExitCode, string Output) RunOne(string name, string[] arguments)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Started as "dotnet Multiprocessing.Examples.dll": start the child the same way.
            start.ArgumentList.Add(typeof(AllExamples).Assembly.Location);
        }

        start.ArgumentList.Add(name);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var child = OsProcess.Start(start) ?? throw new InvalidOperationException($"Could not start the {name} example.");
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(Limit))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            return (null, stdout.Result + stderr.Result + $"{Environment.NewLine}(killed after {Limit.TotalMinutes} minutes)");
        }

        child.WaitForExit();
        var output = stdout.Result;
        return (child.ExitCode, child.ExitCode == 0 ? output : output + stderr.Result);
    }
}
