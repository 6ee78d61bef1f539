using System.Globalization;

namespace Multiprocessing.Host.Bench;

/// <summary>
/// Shows on stderr which workload runs. On a terminal it rewrites one status line; otherwise it writes a line per
/// workload. Never on stdout, so <c>--json</c> output stays clean.
/// </summary>
public sealed class BenchProgress
{
    private readonly TextWriter _error;
    private readonly bool _terminal;
    private readonly int _total;
    private int _ours;
    private int _python;

    /// <param name="error">The error stream.</param>
    /// <param name="total">The number of rows on each side.</param>
    public BenchProgress(TextWriter error, int total)
    {
        _error = error;
        _total = total;
        _terminal = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
    }

    /// <summary>Our workload <paramref name="name"/> starts.</summary>
    /// <param name="name">The workload.</param>
    public void Ours(string name) => Show(string.Create(CultureInfo.InvariantCulture, $"[{++_ours,2}/{_total}] C#     {name} ..."));

    /// <summary>Python finished <paramref name="measurement"/>.</summary>
    /// <param name="measurement">What py_bench.py printed.</param>
    public void Python(PythonMeasurement measurement) =>
        Show(string.Create(
            CultureInfo.InvariantCulture,
            $"[{++_python,2}/{_total}] Python {measurement.Name} = {BenchReport.Format(measurement.Value)} {measurement.Unit}"));

    /// <summary>A message of its own line, such as a warning.</summary>
    /// <param name="message">The text.</param>
    public void Message(string message)
    {
        Clear();
        _error.WriteLine($"mp bench: {message}");
    }

    /// <summary>Removes the status line, before the results are printed.</summary>
    public void Done() => Clear();

    private void Show(string text)
    {
        if (_terminal)
        {
            _error.Write($"\r\u001b[2Kmp bench: {text}");
            _error.Flush();
        }
        else
        {
            _error.WriteLine($"mp bench: {text}");
        }
    }

    private void Clear()
    {
        if (_terminal)
        {
            _error.Write("\r\u001b[2K");
            _error.Flush();
        }
    }
}
