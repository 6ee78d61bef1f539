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
