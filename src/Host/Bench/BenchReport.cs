using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Multiprocessing.Host.Bench;

/// <summary>Writes the rows of <c>mp bench</c>: one table for people, or one JSON object per line for programs.</summary>
public static class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// One row as a JSON object with exactly the keys <c>name</c>, <c>value</c>, <c>unit</c>, <c>python</c> and
    /// <c>ratio</c>; numbers are rounded to 3 decimals; <c>value</c> is null for a row we could not measure,
    /// <c>python</c> and <c>ratio</c> are null without Python's number.
    /// </summary>
    /// <param name="row">The row.</param>
    /// <returns>The JSON text, on one line.</returns>
    public static string ToJson(BenchRow row) =>
        JsonSerializer.Serialize(new JsonRow(row.Name, Round(row.Value), row.Unit, Round(row.Python), Round(row.Ratio)), JsonOptions);

    /// <summary>Writes every row as one JSON line.</summary>
    /// <param name="output">Where to.</param>
    /// <param name="rows">The rows.</param>
    public static void WriteJson(TextWriter output, IEnumerable<BenchRow> rows)
    {
        foreach (var row in rows)
        {
            output.WriteLine(ToJson(row));
        }
    }

    /// <summary>Writes the rows as one table, then a note for each row we did not measure.</summary>
    /// <param name="output">Where to.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="title">The line above the table: what ran where.</param>
    /// <param name="withPython">Whether to show Python's column and the ratio.</param>
    /// <param name="footer">Lines under the table.</param>
    public static void WriteTable(TextWriter output, IReadOnlyList<BenchRow> rows, string title, bool withPython, IEnumerable<string> footer)
    {
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!terminal)
        {
            console.Profile.Width = 160;
        }

        var table = new Table { Border = TableBorder.Rounded };
        table.AddColumn(new TableColumn("name"));
        table.AddColumn(new TableColumn("ours").RightAligned());
        if (withPython)
        {
            table.AddColumn(new TableColumn("python").RightAligned());
        }

        table.AddColumn(new TableColumn("unit"));
        if (withPython)
        {
            table.AddColumn(new TableColumn("ratio").RightAligned());
        }

        foreach (var row in rows)
        {
            var cells = new List<string> { Markup.Escape(row.Name), Markup.Escape(FormatOurs(row)) };
            if (withPython)
            {
                cells.Add(Markup.Escape(Format(row.Python)));
            }

            cells.Add(Markup.Escape(row.Unit));
            if (withPython)
            {
                cells.Add(FormatRatio(row.Ratio));
            }

            table.AddRow([.. cells]);
        }

        console.WriteLine(title);
        console.Write(table);
        if (withPython)
        {
            console.WriteLine("ratio > 1 means we are ahead: ours/python for rates and the speed-up, python/ours for times and memory.");
        }

        foreach (var row in rows.Where(r => r.Note is not null))
        {
            console.WriteLine($"{row.Name}: {(row.Status == BenchStatus.Failed ? "failed" : "not available")}: {row.Note}");
        }

        foreach (var line in footer)
        {
            console.WriteLine(line);
        }
    }

    /// <summary>A number for the table: thousands separated from 1000 up, else 3 significant digits or so.</summary>
    /// <param name="value">The number.</param>
    /// <returns>The text; <c>-</c> for none.</returns>
    public static string Format(double? value) => value switch
    {
        null => "-",
        { } v when Math.Abs(v) >= 1000 => v.ToString("N0", CultureInfo.InvariantCulture),
        { } v when Math.Abs(v) >= 100 => v.ToString("F1", CultureInfo.InvariantCulture),
        { } v when Math.Abs(v) >= 10 => v.ToString("F2", CultureInfo.InvariantCulture),
        { } v => v.ToString("F3", CultureInfo.InvariantCulture),
    };

    private static string FormatOurs(BenchRow row) => row.Status switch
    {
        BenchStatus.Unavailable => "n/a",
        BenchStatus.Failed => "failed",
        _ => Format(row.Value),
    };

    private static string FormatRatio(double? ratio)
    {
        if (ratio is not { } r)
        {
            return "-";
        }

        var text = r.ToString(r >= 10 ? "F1" : r >= 0.1 ? "F2" : "F3", CultureInfo.InvariantCulture);
        return r >= 1 ? $"[green]{text}[/]" : $"[red]{text}[/]";
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 3) : null;

    private sealed record JsonRow(string Name, double? Value, string Unit, double? Python, double? Ratio);
}
