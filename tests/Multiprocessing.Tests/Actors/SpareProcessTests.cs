using System.Globalization;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Warm spare processes (<c>multiprocessing.runtime.spare-processes</c>, off by default, 2 here): after the first child, the
/// main process keeps spares whose runtime is up; the next pool workers and <see cref="Process"/> children are spares
/// told their role. A child must not be able to tell: it has its own name and parent (PR-16, PR-17), the parent's
/// environment and working directory at its start (spawn semantics, §1.1), and its exit code.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class SpareProcessTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ChildProcesses _children = new();

    // Spares are off by default (multiprocessing.runtime.spare-processes = 0); these tests turn on two.
    public SpareProcessTests() => SpareProcesses.TargetOverride = 2;

    public void Dispose()
    {
        _children.Dispose();
        SpareProcesses.TargetOverride = null;
        SpareProcesses.Trim();
    }

    [Fact]
    public void A_Process_child_started_after_the_first_is_a_warm_spare_with_its_own_identity_PR16_PR17()
    {
        var spares = WaitForSpares();
        var path = _children.PathFor("identity");

        var child = _children.Start(new Process(SpareTargets.ReportIdentity, [path], name: "from-a-spare"));
        child.Join(Bound);

        Assert.Equal(0, child.ExitCode);
        var lines = File.ReadAllLines(path);
        Assert.Equal("from-a-spare", lines[0]);
        var pid = int.Parse(lines[1], CultureInfo.InvariantCulture);
        Assert.Equal(child.Pid, pid);
        Assert.Contains(pid, spares);
        Assert.Equal("MainProcess", lines[2]);
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), lines[3]);
    }

    [Fact]
    public void A_spare_gives_its_target_s_exit_code_and_exception_PR06_PR07()
    {
        WaitForSpares();

        var failing = _children.Start(new Process(SpareTargets.Throw, ["raised in a spare"]));
        failing.Join(Bound);
        WaitForSpares();
        var exiting = _children.Start(new Process(SpareTargets.Exit, [7]));
        exiting.Join(Bound);

        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("raised in a spare", failing.Exception?.Message, StringComparison.Ordinal);
        Assert.Equal(7, exiting.ExitCode);
    }

    [Fact]
    public void A_spare_started_before_the_environment_changed_is_not_used_and_the_child_sees_the_new_value()
    {
        var spares = WaitForSpares();
        var path = _children.PathFor("environment");
        var name = "MP_SPARE_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "set after the spares started");
        try
        {
            var child = _children.Start(new Process(SpareTargets.ReportVariable, [path, name]));
            child.Join(Bound);

            Assert.Equal(0, child.ExitCode);
            Assert.Equal("set after the spares started", File.ReadAllText(path));
            Assert.DoesNotContain(child.Pid!.Value, spares);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Pool_workers_come_from_spares_and_compute_correct_results()
    {
        var spares = WaitForSpares();

        using var pool = new Pool(2);
        var results = pool.Map(TaskFunctions.SquareWithPid, Enumerable.Range(0, 200), chunksize: 1);

        Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x), results.Select(r => r.X));
        Assert.All(results.Select(r => r.Pid).Distinct(), pid => Assert.Contains(pid, spares));
    }

    [Fact]
    public void A_pool_closed_and_joined_after_its_workers_came_from_spares_loses_no_result_P52()
    {
        WaitForSpares();

        using var pool = new Pool(2, maxTasksPerChild: 5);
        var pending = pool.MapAsync(TaskFunctions.Square, Enumerable.Range(0, 100), chunksize: 1);
        pool.Close();
        pool.Join();

        Assert.Equal(Enumerable.Range(0, 100).Select(x => x * x), pending.Get(Bound));
    }

    /// <summary>Starts a child if needed (spares begin after the first), then waits until the spares are running.</summary>
    private List<int> WaitForSpares()
    {
        var warmUp = _children.Start(new Process(SpareTargets.Noop));
        warmUp.Join(Bound);
        var deadline = DateTime.UtcNow + Bound;
        while (Process.SpareProcessIds.Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {Process.SpareProcessIds.Count} spare processes started within {Bound}");
            Thread.Sleep(20);
        }

        return [.. Process.SpareProcessIds];
    }
}

public static class SpareTargets
{
    public static void Noop()
    {
    }

    public static void ReportIdentity(string path) => Write(path, [
        Process.Current.Name,
        Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        Process.Parent?.Name ?? "none",
        Process.Parent?.Pid.ToString(CultureInfo.InvariantCulture) ?? "none",
    ]);

    public static void ReportVariable(string path, string name) => File.WriteAllText(path, Environment.GetEnvironmentVariable(name) ?? "<unset>");

    public static void Throw(string message) => throw new InvalidOperationException(message);

    public static void Exit(int code) => Environment.Exit(code);

    private static void Write(string path, string[] lines)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }
}
