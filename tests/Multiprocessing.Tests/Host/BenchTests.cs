using System.Text.Json;
using Multiprocessing.Host.Bench;
using Multiprocessing.Host.Commands;

namespace Multiprocessing.Tests.Host;

/// <summary><c>mp bench</c> without running a benchmark: the ratio rule, the JSON rows, the catalog and the command line.</summary>
public sealed class BenchTests
{
    [Theory]
    [InlineData("items/s")]
    [InlineData("ops/s")]
    [InlineData("tasks/s")]
    [InlineData("pairs/s")]
    public void Ratio_of_a_rate_is_ours_over_python(string unit)
    {
        Assert.Equal(2.0, BenchRow.RatioOf(200, 100, unit));
        Assert.Equal(0.5, BenchRow.RatioOf(100, 200, unit));
        Assert.True(BenchRow.HigherIsBetter(unit));
    }

    [Fact]
    public void Only_selects_rows_whose_name_contains_a_given_text_ignoring_case_and_no_text_selects_all()
    {
        var names = Workloads.Catalog(quick: true).Select(r => r.Name).ToList();

        var all = BenchCommand.Selection(null);
        var locks = BenchCommand.Selection(["RLOCK", "process_start"]);

        Assert.All(names, name => Assert.True(all(name)));
        Assert.Equal(
            ["process_start_join_ms", "manager_rlock_acq_rel_per_s", "manager_rlock_contended_2proc_per_s", "native_rlock_contended_2proc_per_s"],
            names.Where(locks));
    }

    [Fact]
    public async Task Only_that_selects_no_row_is_refused_with_exit_code_2()
    {
        var error = new StringWriter();

        var code = await MpCommand.RunAsync(["bench", "--only", "no-such-row"], TextWriter.Null, error);

        Assert.Equal(2, code);
        Assert.Contains("--only selects no row", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_without_key_and_value_is_refused_with_exit_code_2()
    {
        var error = new StringWriter();

        var code = await MpCommand.RunAsync(["bench", "--set", "multiprocessing.runtime.spare-processes"], TextWriter.Null, error);

        Assert.Equal(2, code);
        Assert.Contains("expected key=value", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Ratio_of_the_speedup_is_ours_over_python()
    {
        Assert.Equal(1.5, BenchRow.RatioOf(1.8, 1.2, "x")!.Value, 10);
        Assert.True(BenchRow.HigherIsBetter("x"));
    }

    [Theory]
    [InlineData("ms")]
    [InlineData("us")]
    public void Ratio_of_a_time_is_python_over_ours(string unit)
    {
        // We take 50, Python 100: we are twice as fast, so the ratio is 2.
        Assert.Equal(2.0, BenchRow.RatioOf(50, 100, unit));
        Assert.Equal(0.25, BenchRow.RatioOf(400, 100, unit));
        Assert.False(BenchRow.HigherIsBetter(unit));
    }

    [Fact]
    public void Ratio_of_memory_is_python_over_ours()
    {
        // We use 80 MB, Python 16 MB: we are behind, so the ratio is below 1.
        Assert.Equal(0.2, BenchRow.RatioOf(80, 16, "MB")!.Value, 10);
        Assert.Equal(4.0, BenchRow.RatioOf(4, 16, "MB"));
        Assert.False(BenchRow.HigherIsBetter("MB"));
    }

    [Fact]
    public void Ratio_needs_two_positive_numbers()
    {
        Assert.Null(BenchRow.RatioOf(null, 100, "ms"));
        Assert.Null(BenchRow.RatioOf(100, null, "items/s"));
        Assert.Null(BenchRow.RatioOf(0, 100, "ms"));
        Assert.Null(BenchRow.RatioOf(100, 0, "items/s"));
        Assert.Null(BenchRow.RatioOf(double.NaN, 100, "items/s"));
    }

    [Fact]
    public void An_unknown_unit_is_refused_rather_than_guessed()
    {
        Assert.Throws<ArgumentException>(() => BenchRow.HigherIsBetter("furlongs"));
    }

    [Fact]
    public void A_row_computes_its_ratio_by_its_unit()
    {
        Assert.Equal(3.0, new BenchRow("apply_roundtrip_us", 100, "us", Python: 300).Ratio);
        Assert.Equal(3.0, new BenchRow("map_chunk1_items_per_s", 300, "items/s", Python: 100).Ratio);
        Assert.Null(BenchRow.Measured("pool_start_ms", 10, "ms").Ratio);
    }

    [Fact]
    public void A_measurement_that_is_not_finite_is_a_failed_row()
    {
        var row = BenchRow.Measured("cpu_map_speedup_2_workers", double.PositiveInfinity, "x");
        Assert.Equal(BenchStatus.Failed, row.Status);
        Assert.Null(row.Value);
    }

    [Fact]
    public void Json_row_without_python_has_exactly_the_five_keys_and_null_python_and_ratio()
    {
        using var json = JsonDocument.Parse(BenchReport.ToJson(BenchRow.Measured("apply_roundtrip_us", 123.45678, "us")));
        var root = json.RootElement;
        Assert.Equal(["name", "value", "unit", "python", "ratio"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("apply_roundtrip_us", root.GetProperty("name").GetString());
        Assert.Equal(123.457, root.GetProperty("value").GetDouble());
        Assert.Equal("us", root.GetProperty("unit").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("python").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("ratio").ValueKind);
    }

    [Fact]
    public void Json_row_with_python_carries_python_and_the_ratio()
    {
        var row = BenchRow.Measured("process_start_join_ms", 500, "ms") with { Python = 250 };
        using var json = JsonDocument.Parse(BenchReport.ToJson(row));
        Assert.Equal(250, json.RootElement.GetProperty("python").GetDouble());
        Assert.Equal(0.5, json.RootElement.GetProperty("ratio").GetDouble());
    }

    [Fact]
    public void Json_row_of_an_unavailable_workload_has_a_null_value()
    {
        var row = BenchRow.Unavailable("worker_rss_mb", "MB", "needs /proc") with { Python = 16 };
        using var json = JsonDocument.Parse(BenchReport.ToJson(row));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("value").ValueKind);
        Assert.Equal(16, json.RootElement.GetProperty("python").GetDouble());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("ratio").ValueKind);
    }

    [Fact]
    public void WriteJson_prints_one_object_per_line()
    {
        var rows = new[]
        {
            BenchRow.Measured("pool_start_ms", 400, "ms"),
            BenchRow.Failed("apply_roundtrip_us", "us", "boom"),
            BenchRow.Measured("map_chunk1_items_per_s", 1e5, "items/s"),
        };
        using var output = new StringWriter();
        BenchReport.WriteJson(output, rows);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal(
            rows.Select(r => r.Name),
            lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("name").GetString()));
    }

    [Fact]
    public void The_table_lists_every_row_and_explains_the_ones_not_measured()
    {
        var rows = new[]
        {
            BenchRow.Measured("pool_start_ms", 400, "ms") with { Python = 60 },
            BenchRow.Unavailable("worker_rss_mb", "MB", "needs /proc/<pid>/status (Linux)"),
        };
        using var output = new StringWriter();
        BenchReport.WriteTable(output, rows, "title", withPython: true, ["footer line"]);

        var text = output.ToString();
        Assert.Contains("pool_start_ms", text, StringComparison.Ordinal);
        Assert.Contains("0.15", text, StringComparison.Ordinal);
        Assert.Contains("n/a", text, StringComparison.Ordinal);
        Assert.Contains("worker_rss_mb: not available: needs /proc/<pid>/status (Linux)", text, StringComparison.Ordinal);
        Assert.Contains("footer line", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 27)]
    [InlineData(false, 30)]
    public void The_catalog_has_the_baseline_rows_the_memory_row_and_the_scale_table(bool quick, int count)
    {
        var catalog = Workloads.Catalog(quick);
        Assert.Equal(count, catalog.Count);
        Assert.Equal(catalog.Count, catalog.Select(r => r.Name).Distinct().Count());
        Assert.All(catalog, r => BenchRow.HigherIsBetter(r.Unit));
        Assert.Contains(("worker_rss_mb", "MB"), catalog);
        Assert.Contains(("native_rlock_contended_2proc_per_s", "pairs/s"), catalog);
        Assert.Contains(("scale_map_w4_n100000_items_per_s", "items/s"), catalog);
        Assert.Equal(!quick, catalog.Any(r => r.Name == "scale_map_w1_n1000000_items_per_s"));
    }

    [Fact]
    public void Merge_puts_python_numbers_next_to_ours_by_name_and_unit()
    {
        var ours = new[]
        {
            BenchRow.Measured("pool_start_ms", 400, "ms"),
            BenchRow.Measured("apply_roundtrip_us", 200, "us"),
            BenchRow.Measured("process_start_join_ms", 300, "ms"),
        };
        var python = new Dictionary<string, PythonMeasurement>
        {
            ["apply_roundtrip_us"] = new("apply_roundtrip_us", 100, "us"),
            ["process_start_join_ms"] = new("process_start_join_ms", 0.05, "s"),
            ["python_only_ms"] = new("python_only_ms", 5, "ms"),
        };

        var merged = BenchCommand.Merge(ours, python);

        Assert.Equal(["pool_start_ms", "apply_roundtrip_us", "process_start_join_ms", "python_only_ms"], merged.Select(r => r.Name));
        Assert.Null(merged[0].Python);
        Assert.Equal(0.5, merged[1].Ratio);
        Assert.Null(merged[2].Python);
        Assert.Equal(BenchStatus.Unavailable, merged[3].Status);
        Assert.Equal(5, merged[3].Python);
    }

    [Fact]
    public void Python_lines_are_parsed_and_other_lines_ignored()
    {
        var measurement = PythonRunner.ParseLine("""{"name": "apply_roundtrip_us", "value": 55.017, "unit": "us"}""");
        Assert.Equal(new PythonMeasurement("apply_roundtrip_us", 55.017, "us"), measurement);
        Assert.Null(PythonRunner.ParseLine("Traceback (most recent call last):"));
        Assert.Null(PythonRunner.ParseLine("{not json"));
        Assert.Null(PythonRunner.ParseLine("""{"name": "x"}"""));
    }

    [Fact]
    public void Py_bench_ships_next_to_the_app_and_names_every_baseline_row()
    {
        Assert.True(File.Exists(PythonRunner.ScriptPath), $"{PythonRunner.ScriptPath} is missing from the output folder");
        var script = File.ReadAllText(PythonRunner.ScriptPath);
        Assert.Contains("\"spawn\"", script, StringComparison.Ordinal);
        Assert.Contains("--quick", script, StringComparison.Ordinal);
        Assert.All(
            Workloads.Catalog(quick: false).Where(r => !r.Name.StartsWith("scale_", StringComparison.Ordinal)),
            r => Assert.Contains($"\"{r.Name}\"", script, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("bench")]
    [InlineData("bench --quick --json")]
    [InlineData("bench --quick --compare-python")]
    [InlineData("bench --compare-python --json")]
    public void Bench_options_parse_without_errors(string commandLine)
    {
        var result = MpCommand.Create().Parse(commandLine);
        Assert.Empty(result.Errors);
        Assert.Equal("bench", result.CommandResult.Command.Name);
    }

    [Fact]
    public void An_unknown_bench_option_is_an_error()
    {
        Assert.NotEmpty(MpCommand.Create().Parse("bench --quick --fast").Errors);
    }
}
