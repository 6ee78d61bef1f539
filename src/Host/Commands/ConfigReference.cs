using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Multiprocessing.Host.Commands;

/// <summary>
/// Renders the library's reference.conf as docs/configuration.md: every key with its default, unit and comment.
/// <c>mp config-reference --output docs/configuration.md</c> (hidden) writes it; a test fails when the committed file
/// differs from what this renders.
/// </summary>
public static partial class ConfigReference
{
    /// <summary>The command that regenerates the committed file, as the page and the test name it.</summary>
    public const string RegenerateCommand = "dotnet run --project src/Host -- config-reference --output docs/configuration.md";

    public static Command Create()
    {
        var output = new Option<FileInfo?>("--output")
        {
            Description = "Write the page to this file instead of stdout.",
        };
        var command = new Command("config-reference", "Print the configuration reference (every key of reference.conf) as Markdown.")
        {
            Hidden = true,
        };
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            var page = Render(ReadEmbedded());
            if (parse.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, page);
            }
            else
            {
                parse.InvocationConfiguration.Output.Write(page);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The reference.conf embedded in the library.</summary>
    public static string ReadEmbedded()
    {
        using var stream = typeof(Pool).Assembly.GetManifestResourceStream("Multiprocessing.reference.conf")
            ?? throw new InvalidOperationException("The embedded Multiprocessing.reference.conf is missing from the library.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Renders <paramref name="referenceConf"/> as the Markdown page.</summary>
    /// <exception cref="FormatException">A line is not a comment, a key, a block start or a block end.</exception>
    public static string Render(string referenceConf)
    {
        var page = new StringBuilder();
        page.Append("# Configuration reference\n\n");
        page.Append("<!-- Generated from src/Actors/Configuration/reference.conf; do not edit. Regenerate with:\n");
        page.Append(CultureInfo.InvariantCulture, $"     {RegenerateCommand} -->\n\n");
        page.Append("Every setting of the library with its default, from its embedded `reference.conf`. Override keys before the\n");
        page.Append("first pool, queue or manager of the process with `RuntimeConfig.Apply(\"multiprocessing.pool.max-retries = 5\")`;\n");
        page.Append("the processes the library starts get the same overrides. `mp host` and `mp worker` also take `--set key=value`\n");
        page.Append("and `--config file.conf`. Keys under `multiprocessing.runtime.akka` are Akka's own settings as the library sets\n");
        page.Append("them: they apply at the root of the actor system's configuration, so override them as `akka.…`.\n\n");
        page.Append("This page is generated: a test fails when it differs from `reference.conf`. Regenerate it with\n");
        page.Append(CultureInfo.InvariantCulture, $"`{RegenerateCommand}`.\n");

        foreach (var section in Parse(referenceConf))
        {
            page.Append(CultureInfo.InvariantCulture, $"\n## `{section.Path}`\n\n");
            if (section.Comment.Length > 0)
            {
                page.Append(section.Comment).Append("\n\n");
            }

            page.Append("| key | default | unit | description |\n| --- | --- | --- | --- |\n");
            foreach (var key in section.Keys)
            {
                page.Append(CultureInfo.InvariantCulture, $"| `{Cell(key.Path)}` | `{Cell(key.Value)}` | {Cell(key.Unit)} | {Cell(key.Comment)} |\n");
            }
        }

        return page.ToString();
    }

    private static List<Section> Parse(string referenceConf)
    {
        var sections = new List<Section>();
        var path = new List<string>();
        var comment = new List<string>();
        var blocks = new Stack<int>();
        Section? current = null;
        Entry? previous = null;
        var lineNumber = 0;
        foreach (var raw in referenceConf.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                comment.Clear();
                previous = null;
                continue;
            }

            if (line.StartsWith('#'))
            {
                if (!line.StartsWith("##", StringComparison.Ordinal))
                {
                    comment.Add(line[1..].Trim());
                }

                previous = null;
                continue;
            }

            if (BlockStart().Match(line) is { Success: true } block)
            {
                var segments = block.Groups[1].Value.Split('.');
                path.AddRange(segments);
                blocks.Push(segments.Length);
                var text = string.Join(" ", comment);
                if (text.Length > 0 || path.Count <= 2)
                {
                    current = new Section(string.Join(".", path), text, []);
                    sections.Add(current);
                }

                comment.Clear();
                previous = null;
                continue;
            }

            if (line == "}")
            {
                if (blocks.Count == 0)
                {
                    throw new FormatException($"reference.conf line {lineNumber}: '}}' without a block.");
                }

                var count = blocks.Pop();
                path.RemoveRange(path.Count - count, count);
                current = sections.LastOrDefault(s => IsPrefix(s.Path, string.Join(".", path)));
                comment.Clear();
                previous = null;
                continue;
            }

            if (KeyValue().Match(line) is { Success: true } pair)
            {
                var name = pair.Groups[1].Value;
                var value = pair.Groups[2].Value.Trim();
                var text = string.Join(" ", comment);

                // Keys right below another (no blank line) share its comment when they belong together (prefetch-min, prefetch-max).
                if (text.Length == 0 && previous is not null && SamePrefix(previous.Name, name))
                {
                    text = previous.Comment;
                }

                var description = text.Length == 0 && path.Contains("akka") ? "Akka's own setting, as the library sets it." : WithoutUnit(text);
                var entry = new Entry(name, string.Join(".", path.Append(name)), value, UnitOf(text, value), description);
                if (current is null)
                {
                    current = new Section(string.Join(".", path), string.Empty, []);
                    sections.Add(current);
                }

                current.Keys.Add(entry);
                comment.Clear();
                previous = entry with { Comment = text };
                continue;
            }

            throw new FormatException($"reference.conf line {lineNumber} is not a comment, a key, a block start or a block end: {line}");
        }

        return sections.Where(s => s.Keys.Count > 0).ToList();
    }

    private static bool IsPrefix(string section, string path) => path == section || path.StartsWith(section + ".", StringComparison.Ordinal);

    private static bool SamePrefix(string a, string b)
    {
        var dash = a.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && b.StartsWith(a[..(dash + 1)], StringComparison.Ordinal);
    }

    private static string UnitOf(string comment, string value)
    {
        if (UnitSentence().Match(comment) is { Success: true } unit)
        {
            return unit.Groups[1].Value.Trim();
        }

        if (DurationValue().IsMatch(value))
        {
            return "duration";
        }

        if (BytesValue().IsMatch(value))
        {
            return "bytes";
        }

        return value is "on" or "off" ? "on/off" : "—";
    }

    private static string WithoutUnit(string comment) => UnitSentence().Replace(comment, " ").Trim().Replace("  ", " ", StringComparison.Ordinal);

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    [GeneratedRegex(@"^([A-Za-z0-9_.-]+)\s*\{$")]
    private static partial Regex BlockStart();

    [GeneratedRegex(@"^(""[^""]+""|[A-Za-z0-9_.-]+)\s*=\s*(.+)$")]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"\s*Unit:\s*([^.]+)\.")]
    private static partial Regex UnitSentence();

    [GeneratedRegex(@"^\d+(ms|s|m|h|d)$")]
    private static partial Regex DurationValue();

    [GeneratedRegex(@"^\d+b$")]
    private static partial Regex BytesValue();

    private sealed record Section(string Path, string Comment, List<Entry> Keys);

    private sealed record Entry(string Name, string Path, string Value, string Unit, string Comment);
}
