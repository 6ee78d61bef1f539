using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Examples;

/// <summary>The example programs as a user runs them, in their own OS processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ExampleProgramTests
{
    [Fact]
    public async Task Pool_methods_example_prints_OK_and_leaves_no_worker_process()
    {
        using var example = OsProcesses.StartExample("pool-methods");
        var stdout = example.StandardOutput.ReadToEndAsync();
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            await example.WaitForExitAsync(cancel.Token);
        }

        var output = await stdout;
        Assert.Equal(0, example.ExitCode);
        Assert.Contains("OK pool-methods", output, StringComparison.Ordinal);
        var line = output.Split('\n').Single(l => l.StartsWith("worker pids:", StringComparison.Ordinal));
        var pids = OsProcesses.ParsePids(line);
        Assert.True(pids.Count >= 2, $"expected two or more worker pids, got: {line}");
        Assert.DoesNotContain(example.Id, pids);

        var alive = await OsProcesses.WaitAllGoneAsync(pids, TimeSpan.FromSeconds(5));
        Assert.Empty(alive);
    }

    [Fact]
    public async Task Chaos_example_short_form_survives_its_kills_with_every_result_exactly_once()
    {
        // The chaos suite checks itself (results exactly once, no orphan); this also checks that it really killed.
        using var example = OsProcesses.StartExample("chaos", "--short");
        var stdout = example.StandardOutput.ReadToEndAsync();
        var stderr = example.StandardError.ReadToEndAsync();
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(300));
            await example.WaitForExitAsync(cancel.Token);
        }
        finally
        {
            if (!example.HasExited)
            {
                example.Kill(entireProcessTree: true);
            }
        }

        var output = await stdout;
        await stderr;
        Assert.True(example.ExitCode == 0, output);
        Assert.Contains("OK chaos", output, StringComparison.Ordinal);
        Assert.Contains("children left at the end: 0", output, StringComparison.Ordinal);
        var killed = output.Split('\n').Single(l => l.Contains("workers killed:", StringComparison.Ordinal));
        var count = int.Parse(killed.Split(':')[1].Split(';')[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(count > 0, killed);
        Assert.Contains("(exit code -9)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workers_exit_within_5_seconds_when_the_driver_is_killed_mid_map()
    {
        // PR-15 target / pain point 19: SIGKILL of the driver must not leave orphans.
        using var example = OsProcesses.StartExample("primes", "100000000000", "2");
        try
        {
            var line = await OsProcesses.ReadLineStartingWithAsync(example, "worker pids:", TimeSpan.FromSeconds(60));
            var pids = OsProcesses.ParsePids(line);
            Assert.Equal(2, pids.Count);
            Assert.All(pids, pid => Assert.True(OsProcesses.IsAlive(pid), $"worker {pid} should be running the Map"));

            await Task.Delay(500);
            example.Kill();
            var alive = await OsProcesses.WaitAllGoneAsync(pids, TimeSpan.FromSeconds(5));
            Assert.Empty(alive);
        }
        finally
        {
            if (!example.HasExited)
            {
                example.Kill(entireProcessTree: true);
            }
        }
    }
}
