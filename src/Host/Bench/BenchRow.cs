namespace Multiprocessing.Host.Bench;

/// <summary>What became of one benchmark row on our side.</summary>
public enum BenchStatus
{
    /// <summary>The workload ran and <see cref="BenchRow.Value"/> holds its number.</summary>
    Measured,

    /// <summary>The library lacks what the workload needs; <see cref="BenchRow.Note"/> says what.</summary>
    Unavailable,

    /// <summary>The workload threw; <see cref="BenchRow.Note"/> holds the error.</summary>
    Failed,
}

/// <summary>
/// One line of <c>mp bench</c>: our number, Python's number for the same workload, and the ratio between them.
/// The ratio is oriented so that a value above 1 always means we are ahead: ours/python for rates and for the
/// speed-up (higher is better), python/ours for times and memory (lower is better).
/// </summary>
/// <param name="Name">The workload's name, the same as in py_baseline.py.</param>
/// <param name="Value">Our number, or <see langword="null"/> when not measured.</param>
/// <param name="Unit">The unit, the same as in py_baseline.py (<c>ms</c>, <c>us</c>, <c>MB</c>, <c>x</c>, or a rate ending in <c>/s</c>).</param>
/// <param name="Status">Measured, unavailable or failed.</param>
/// <param name="Note">Why the row is unavailable or failed.</param>
/// <param name="Python">Python's number, when <c>--compare-python</c> ran it.</param>
public sealed record BenchRow(string Name, double? Value, string Unit, BenchStatus Status = BenchStatus.Measured, string? Note = null, double? Python = null)
{
    /// <summary>Our number divided so that above 1 means we are ahead; <see langword="null"/> without both numbers.</summary>
    public double? Ratio => RatioOf(Value, Python, Unit);

    /// <summary>A measured row.</summary>
    /// <param name="name">The workload.</param>
    /// <param name="value">Our number; it must be finite.</param>
    /// <param name="unit">Its unit.</param>
    /// <returns>The row.</returns>
    public static BenchRow Measured(string name, double value, string unit) =>
        double.IsFinite(value)
            ? new(name, value, unit)
            : Failed(name, unit, $"the measurement gave {value}");

    /// <summary>A row the library cannot run yet.</summary>
    /// <param name="name">The workload.</param>
    /// <param name="unit">Its unit.</param>
    /// <param name="reason">What is missing.</param>
    /// <returns>The row.</returns>
    public static BenchRow Unavailable(string name, string unit, string reason) => new(name, null, unit, BenchStatus.Unavailable, reason);

    /// <summary>A row whose workload threw.</summary>
    /// <param name="name">The workload.</param>
    /// <param name="unit">Its unit.</param>
    /// <param name="error">The error, in one line.</param>
    /// <returns>The row.</returns>
    public static BenchRow Failed(string name, string unit, string error) => new(name, null, unit, BenchStatus.Failed, error);

    /// <summary>Whether a larger number is better for <paramref name="unit"/>: rates (<c>…/s</c>) and speed-ups (<c>x</c>).</summary>
    /// <param name="unit">The unit.</param>
    /// <returns><see langword="true"/> for rates and speed-ups, <see langword="false"/> for times and memory.</returns>
    /// <exception cref="ArgumentException">A unit of neither kind.</exception>
    public static bool HigherIsBetter(string unit) => unit switch
    {
        "x" => true,
        _ when unit.EndsWith("/s", StringComparison.Ordinal) => true,
        "ns" or "us" or "ms" or "s" or "KB" or "MB" or "GB" => false,
        _ => throw new ArgumentException($"Unknown benchmark unit '{unit}': say whether higher or lower is better.", nameof(unit)),
    };

    /// <summary>The ratio rule: above 1 means ours is better, whatever the unit.</summary>
    /// <param name="ours">Our number.</param>
    /// <param name="python">Python's number.</param>
    /// <param name="unit">The unit both are in.</param>
    /// <returns>ours/python when higher is better, python/ours when lower is better; <see langword="null"/> unless both are positive.</returns>
    public static double? RatioOf(double? ours, double? python, string unit)
    {
        if (ours is not { } o || python is not { } p || !(o > 0) || !(p > 0) || !double.IsFinite(o) || !double.IsFinite(p))
        {
            return null;
        }

        return HigherIsBetter(unit) ? o / p : p / o;
    }
}
