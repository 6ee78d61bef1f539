using System.Globalization;
using System.Text.Json;
using OsProcess = System.Diagnostics.Process;
using ProcessStartInfo = System.Diagnostics.ProcessStartInfo;

namespace Multiprocessing.Host.Bench;

/// <summary>One measurement printed by py_bench.py.</summary>
/// <param name="Name">The workload.</param>
/// <param name="Value">Python's number.</param>
/// <param name="Unit">Its unit.</param>
public sealed record PythonMeasurement(string Name, double Value, string Unit);

/// <summary>What running py_bench.py gave: the measurements it printed, and an error if it did not finish.</summary>
/// <param name="Measurements">By name.</param>
/// <param name="Version">The interpreter's version, e.g. <c>3.11.7</c>.</param>
/// <param name="Error">Why the run stopped early, or <see langword="null"/>.</param>
public sealed record PythonResult(IReadOnlyDictionary<string, PythonMeasurement> Measurements, string? Version, string? Error);

/// <summary>Runs the Python counterpart, py_bench.py (shipped next to mp.dll), with <c>python3</c>.</summary>
public static class PythonRunner
{
    /// <summary>The script's file name in the output folder.</summary>
    public const string ScriptName = "py_bench.py";

    /// <summary>Where py_bench.py is: next to mp.dll.</summary>
    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, ScriptName);

    /// <summary>The full path of <c>python3</c> on <c>PATH</c>, or <see langword="null"/>.</summary>
    /// <returns>The interpreter's path.</returns>
    public static string? FindPython()
    {
        var names = OperatingSystem.IsWindows() ? new[] { "python3.exe", "python.exe" } : ["python3"];
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Parses one line of py_bench.py's output: <c>{"name": ..., "value": ..., "unit": ...}</c>.</summary>
    /// <param name="line">The line.</param>
    /// <returns>The measurement, or <see langword="null"/> when the line is not one.</returns>
    public static PythonMeasurement? ParseLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || !line.TrimStart().StartsWith('{'))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                && root.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Number
                && root.TryGetProperty("unit", out var unit) && unit.ValueKind == JsonValueKind.String)
            {
                return new PythonMeasurement(name.GetString()!, value.GetDouble(), unit.GetString()!);
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>Runs <c>python3 py_bench.py [--quick]</c> and collects its lines as they come.</summary>
    /// <param name="python">The interpreter.</param>
    /// <param name="quick">Pass <c>--quick</c>.</param>
    /// <param name="measured">Told each measurement as it arrives (for progress).</param>
    /// <param name="cancellationToken">Kills the interpreter.</param>
    /// <returns>The measurements, and an error if the script failed.</returns>
    public static async Task<PythonResult> RunAsync(
        string python, bool quick, Action<PythonMeasurement> measured, CancellationToken cancellationToken)
    {
        var version = await VersionAsync(python, cancellationToken);
        if (!File.Exists(ScriptPath))
        {
            return new PythonResult(new Dictionary<string, PythonMeasurement>(), version, $"{ScriptPath} is missing.");
        }

        var start = new ProcessStartInfo(python)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(ScriptPath);
        if (quick)
        {
            start.ArgumentList.Add("--quick");
        }

        start.Environment["PYTHONUNBUFFERED"] = "1";
        var measurements = new Dictionary<string, PythonMeasurement>(StringComparer.Ordinal);
        using var process = OsProcess.Start(start) ?? throw new InvalidOperationException($"Could not start {python}.");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                if (ParseLine(line) is { } measurement)
                {
                    measurements[measurement.Name] = measurement;
                    measured(measurement);
                }
            }

            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var stderr = await errors;
        string? error = null;
        if (process.ExitCode != 0)
        {
            var tail = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3);
            error = string.Create(
                CultureInfo.InvariantCulture, $"{ScriptName} exited with code {process.ExitCode}: {string.Join(" | ", tail)}");
        }

        return new PythonResult(measurements, version, error);
    }

    private static async Task<string?> VersionAsync(string python, CancellationToken cancellationToken)
    {
        try
        {
            var start = new ProcessStartInfo(python, "--version") { UseShellExecute = false, RedirectStandardOutput = true };
            using var process = OsProcess.Start(start);
            if (process is null)
            {
                return null;
            }

            var text = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return text.Trim().Replace("Python ", string.Empty, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }
}
