using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Multiprocessing.Host.Commands;
using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Docs;

/// <summary>Documentation that is checked against the code, so it cannot drift.</summary>
public sealed partial class DocsTests
{
    [Fact]
    public void Configuration_reference_is_what_reference_conf_renders()
    {
        var committed = File.ReadAllText(Path.Combine(OsProcesses.RepositoryRoot(), "docs", "configuration.md")).ReplaceLineEndings("\n");

        var rendered = ConfigReference.Render(ConfigReference.ReadEmbedded());

        Assert.True(
            committed == rendered,
            $"docs/configuration.md is out of date with src/Actors/Configuration/reference.conf. Regenerate it: {ConfigReference.RegenerateCommand}");
    }

    [Fact]
    public void Configuration_reference_lists_every_key_of_reference_conf_once()
    {
        var reference = ConfigReference.ReadEmbedded();
        var keys = LeafCount(ConfigurationFactory.ParseString(reference).Root);

        var rows = ConfigReference.Render(reference).Split('\n').Count(line => line.StartsWith("| `", StringComparison.Ordinal));

        Assert.True(keys > 20, $"only {keys} keys parsed");
        Assert.Equal(keys, rows);
    }

    [Fact]
    public void Configuration_reference_refuses_a_line_it_cannot_read()
    {
        var error = Assert.Throws<FormatException>(() => ConfigReference.Render("multiprocessing {\n  pool: 3\n}\n"));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_reference_takes_units_from_the_comment_and_keeps_the_rest()
    {
        var page = ConfigReference.Render("multiprocessing {\n  pool {\n    # How long to wait. Unit: duration. Then more.\n    wait = 5s\n  }\n}\n");

        Assert.Contains("| `multiprocessing.pool.wait` | `5s` | duration | How long to wait. Then more. |", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_snippet_is_the_quick_start_example()
    {
        // The README's first C# block is compiled and run as src/Examples/QuickStart.cs (dotnet run --project src/Examples -- quickstart).
        var root = OsProcesses.RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var snippet = CSharpBlock().Match(readme);
        Assert.True(snippet.Success, "README.md has no ```csharp block");

        var example = File.ReadAllText(Path.Combine(root, "src", "Examples", "QuickStart.cs"));

        Assert.Equal(Normalize(example), Normalize(snippet.Groups[1].Value));
    }

    [Fact]
    public void Readme_links_point_to_files_that_exist()
    {
        var root = OsProcesses.RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));

        var links = RelativeLink().Matches(readme).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.Contains("docs/architecture.md", links);
        Assert.Contains("docs/configuration.md", links);
        Assert.All(links, link => Assert.True(File.Exists(Path.Combine(root, link)) || Directory.Exists(Path.Combine(root, link)), $"README links to {link}, which does not exist"));
    }

    private static int LeafCount(HoconValue value) =>
        value.IsObject() ? value.GetObject().Items.Values.Sum(LeafCount) : 1;

    private static string Normalize(string code) => WhiteSpace().Replace(code, " ").Trim();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"\]\(((?:docs|src|tests|config)/[^)#\s]+)\)")]
    private static partial Regex RelativeLink();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
