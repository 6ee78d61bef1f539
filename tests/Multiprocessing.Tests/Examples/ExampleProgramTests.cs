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
        OsProcesses.StderrOf(example);
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

    [Theory]
    [InlineData("map")]
    [InlineData("imap")]
    [InlineData("get")]
    [InlineData("join")]
    public async Task Ctrl_C_in_a_driver_blocked_in_a_pool_call_raises_one_OperationCanceledException_and_leaves_no_worker(string call)
    {
        // Pain point 18: SIGINT cancels the blocked call once, terminates the pool, and the program exits cleanly.
        using var example = OsProcesses.StartExample("interrupt-probe", call);
        try
        {
            var line = await OsProcesses.ReadLineStartingWithAsync(example, "worker pids:", TimeSpan.FromSeconds(60));
            var pids = OsProcesses.ParsePids(line);
            Assert.Equal(2, pids.Count);
            await OsProcesses.ReadLineStartingWithAsync(example, "READY", TimeSpan.FromSeconds(30));
            await Task.Delay(500);

            OsProcesses.SendSigint(example.Id);

            var rest = example.StandardOutput.ReadToEndAsync();
            using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await example.WaitForExitAsync(cancel.Token);
            }

            var output = await rest;
            Assert.True(example.ExitCode == 0, $"exit code {example.ExitCode}; output after READY:{Environment.NewLine}{output}");
            Assert.Equal(["CANCELLED 1"], output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("CANCELLED", StringComparison.Ordinal)));
            Assert.Contains("OK interrupt-probe", output, StringComparison.Ordinal);
            Assert.Contains("AFTER 49", output, StringComparison.Ordinal);
            Assert.DoesNotContain("NOT CANCELLED", output, StringComparison.Ordinal);
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

    [Fact]
    public async Task SIGTERM_ends_a_program_that_uses_pools_and_its_workers_and_spares_exit_with_it()
    {
        // A service manager stops a program with SIGTERM: the default action (exit 143) must not be taken away by the
        // library, and every child (workers, warm spares) follows its parent.
        using var example = OsProcesses.StartExample("interrupt-probe", "--hold");
        try
        {
            var pids = OsProcesses.ParsePids(await OsProcesses.ReadLineStartingWithAsync(example, "worker pids:", TimeSpan.FromSeconds(60)));
            await OsProcesses.ReadLineStartingWithAsync(example, "READY", TimeSpan.FromSeconds(30));
            var children = OsProcesses.ChildPids(example.Id);

            OsProcesses.SendSigterm(example.Id);

            using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await example.WaitForExitAsync(cancel.Token);
            }

            Assert.Equal(128 + 15, example.ExitCode);
            Assert.Empty(await OsProcesses.WaitAllGoneAsync(pids.Concat(children), TimeSpan.FromSeconds(10)));
        }
        finally
        {
            if (!example.HasExited)
            {
                example.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Second_Ctrl_C_ends_the_program_at_once_with_exit_status_130()
    {
        // Pain point 18: the first Ctrl+C is handled; the second one is the default action.
        using var example = OsProcesses.StartExample("interrupt-probe", "--hold");
        try
        {
            await OsProcesses.ReadLineStartingWithAsync(example, "READY", TimeSpan.FromSeconds(60));
            await Task.Delay(500);
            OsProcesses.SendSigint(example.Id);
            Assert.Equal("CANCELLED 1", await OsProcesses.ReadLineStartingWithAsync(example, "CANCELLED", TimeSpan.FromSeconds(30)));
            await OsProcesses.ReadLineStartingWithAsync(example, "HOLDING", TimeSpan.FromSeconds(30));

            OsProcesses.SendSigint(example.Id);

            using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await example.WaitForExitAsync(cancel.Token);
            }

            Assert.Equal(128 + 2, example.ExitCode);
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
