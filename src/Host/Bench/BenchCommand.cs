using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Multiprocessing.Host.Bench;

/// <summary>
/// <c>mp bench</c>: runs the workloads of shared/bench/py_baseline.py with this library (and, with
/// <c>--compare-python</c>, with Python's multiprocessing) and prints one table or JSON lines.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick")
        {
            Description = "A fifth of the work and the scale table only up to 10^5 items (as py_baseline.py --quick); under 2 minutes.",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object per row (name, value, unit, python, ratio) instead of the table.",
        };
        var comparePython = new Option<bool>("--compare-python")
        {
            Description = "Also run the same workloads with python3's multiprocessing (spawn) and print the ratio; > 1 means we are ahead.",
        };
        var only = new Option<string[]>("--only")
        {
            Description = "Measure only the rows whose name contains one of these texts (e.g. --only queue --only rlock).",
            AllowMultipleArgumentsPerToken = true,
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Library configuration for this run, key=value (as RuntimeConfig.Apply), e.g. --set multiprocessing.runtime.spare-processes=2.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command(
            "bench",
            "Measure pools, processes, queues, managers and locks against Python's multiprocessing workloads.");
        command.Options.Add(quick);
        command.Options.Add(json);
        command.Options.Add(comparePython);
        command.Options.Add(only);
        command.Options.Add(set);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(quick),
            parseResult.GetValue(json),
            parseResult.GetValue(comparePython),
            Selection(parseResult.GetValue(only)),
            parseResult.GetValue(set) ?? [],
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>Which rows <c>--only</c> selects: every row when no text is given.</summary>
    /// <param name="texts">Parts of row names.</param>
    /// <returns>The row filter.</returns>
    public static Func<string, bool> Selection(IReadOnlyList<string>? texts) =>
        texts is null || texts.Count == 0
            ? static _ => true
            : name => texts.Any(t => name.Contains(t, StringComparison.OrdinalIgnoreCase));

    private static async Task<int> RunAsync(
        bool quick,
        bool json,
        bool comparePython,
        Func<string, bool> selected,
        IReadOnlyList<string> settings,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        foreach (var setting in settings)
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error.WriteLine($"--set {setting}: expected key=value, e.g. --set multiprocessing.runtime.spare-processes=2.");
                return 2;
            }

            try
            {
                RuntimeConfig.Apply($"{setting[..equals].Trim()} = {setting[(equals + 1)..].Trim()}");
            }
            catch (Exception ex) when (ex is Akka.Configuration.ConfigurationException or InvalidOperationException or FormatException)
            {
                error.WriteLine($"--set {setting}: {ex.Message}");
                return 2;
            }
        }

        // The library's Akka logger writes to Console.Out: while the workloads run that goes to stderr, so stdout
        // holds only the table or the JSON lines. (output was taken from Console.Out before this swap.)
        var console = Console.Out;
        BenchOutcome? outcome;
        Console.SetOut(Console.Error);
        try
        {
            var count = Workloads.Catalog(quick).Count(r => selected(r.Name));
            if (count == 0)
            {
                error.WriteLine("--only selects no row: see the row names in `mp bench --json` output or docs/performance.md.");
                return 2;
            }

            outcome = await MeasureAsync(quick, comparePython, selected, new BenchProgress(error, count), cancellationToken);
        }
        finally
        {
            Console.SetOut(console);
        }

        if (outcome is null)
        {
            return 130;
        }

        if (json)
        {
            BenchReport.WriteJson(output, outcome.Rows);
        }
        else
        {
            BenchReport.WriteTable(output, outcome.Rows, outcome.Title, outcome.WithPython, outcome.Footer);
        }

        return outcome.ExitCode;
    }

    /// <summary>Runs our side, then Python's; <see langword="null"/> when cancelled.</summary>
    private static async Task<BenchOutcome?> MeasureAsync(
        bool quick, bool comparePython, Func<string, bool> selected, BenchProgress progress, CancellationToken cancellationToken)
    {
        var footer = new List<string>
        {
            $"Our rows time the steady state after {Workloads.WarmUp} untimed calls of the same operation (JIT warm-up); " +
            "starting pools and processes is timed cold, as in Python (this process's own actor system is up first).",
            $"cpu_map_speedup_2_workers: our burn loop runs {Workloads.BurnFactor}x Python's iterations, so one task lasts about as long.",
        };
        string? python = null;
        if (comparePython)
        {
            python = PythonRunner.FindPython();
            if (python is null)
            {
                const string Missing = "python3 was not found on PATH: the Python side is skipped; printing our numbers only.";
                progress.Message(Missing);
                footer.Add(Missing);
            }
        }

        try
        {
            // Our side first, on this thread (the library's calls block; the thread pool stays free for Akka), then
            // Python's: never both at once on this 2-core machine.
            var rows = new Workloads(quick, progress.Ours, cancellationToken, selected).Run();
            var exitCode = rows.Any(r => r.Status == BenchStatus.Failed) ? 1 : 0;
            string? pythonVersion = null;
            if (python is not null)
            {
                var result = await PythonRunner.RunAsync(python, quick, progress.Python, cancellationToken);
                pythonVersion = result.Version;
                rows = Merge(rows, result.Measurements.Where(p => selected(p.Key)).ToDictionary());
                if (result.Error is { } failure)
                {
                    progress.Message($"the Python side failed: {failure}");
                    footer.Add($"The Python side failed: {failure}");
                    exitCode = 1;
                }
            }

            progress.Done();
            return new BenchOutcome(rows, Title(quick, python is not null, pythonVersion), python is not null, footer, exitCode);
        }
        catch (OperationCanceledException)
        {
            progress.Message("cancelled.");
            return null;
        }
    }

    /// <summary>
    /// Puts Python's numbers next to ours by name (only when the units agree, so a ratio is never taken across units);
    /// rows only Python has are kept at the end.
    /// </summary>
    /// <param name="ours">Our rows.</param>
    /// <param name="python">Python's measurements by name.</param>
    /// <returns>The merged rows.</returns>
    public static IReadOnlyList<BenchRow> Merge(IReadOnlyList<BenchRow> ours, IReadOnlyDictionary<string, PythonMeasurement> python)
    {
        var merged = ours
            .Select(r => python.TryGetValue(r.Name, out var p) && p.Unit == r.Unit ? r with { Python = p.Value } : r)
            .ToList();
        var known = ours.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        merged.AddRange(python.Values
            .Where(p => !known.Contains(p.Name))
            .Select(p => BenchRow.Unavailable(p.Name, p.Unit, "mp bench has no C# counterpart of this Python row") with { Python = p.Value }));
        return merged;
    }

    private static string Title(bool quick, bool withPython, string? pythonVersion)
    {
        var library = typeof(Pool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        var plus = library.IndexOf('+', StringComparison.Ordinal);
        if (plus > 0)
        {
            library = library[..plus];
        }

        var python = withPython ? $" vs Python {pythonVersion ?? "?"} multiprocessing (spawn)" : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"mp bench{(quick ? " --quick" : string.Empty)}: Multiprocessing {library} on .NET {Environment.Version}{python}; " +
            $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}");
    }

    private sealed record BenchOutcome(IReadOnlyList<BenchRow> Rows, string Title, bool WithPython, IReadOnlyList<string> Footer, int ExitCode);
}
