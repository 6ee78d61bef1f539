using System.Diagnostics;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Manager proxies passed to <see cref="Pool"/> tasks and <see cref="Process"/> children: the same referents are seen
/// and changed from every process (M-26, M-27), atomic increments lose nothing (M-24 target), a manager lock makes
/// read-modify-write exact (M-24), and a lock held by a killed child is released (M-54 target). Spec ids refer to
/// /work/shared/spec/python-semantics.md (§1.18, §1.19, §2.4). One manager process serves the whole class.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ManagerSharingTests(ManagerAndPoolFixture fixture, ITestOutputHelper output) : IClassFixture<ManagerAndPoolFixture>, IDisposable
{
    private const int Children = 4;
    private const int Times = 200;
    private readonly Manager _manager = fixture.Manager;
    private readonly Pool _pool = fixture.Pool;
    private readonly ChildProcesses _children = new();

    public void Dispose() => _children.Dispose();

    [Fact]
    public void PoolTasks_write_into_the_shared_dict_and_list_when_given_proxies_as_arguments()
    {
        // M-26: proxies travel as Pool task arguments; the tasks mutate the same referents
        var squares = _manager.Dict<int, int>();
        var pids = _manager.List<int>();
        var done = ManagerTestSupport.Bounded(() =>
            _pool.StarMap(ManagerTargets.RecordSquare, Enumerable.Range(0, 10).Select(n => (squares, pids, n)), chunksize: 1));

        Assert.Equal(Enumerable.Range(0, 10), done);
        Assert.Equal(10, squares.Count);
        Assert.All(Enumerable.Range(0, 10), n => Assert.Equal(n * n, squares[n]));
        Assert.Equal(10, pids.Count);
        Assert.DoesNotContain(Environment.ProcessId, pids.Copy());
        Assert.DoesNotContain(_manager.Pid, pids.Copy());
    }

    [Fact]
    public void PoolTask_reads_what_the_parent_stored_when_given_the_dict_proxy()
    {
        // M-26: a task sees the parent's writes
        var dict = _manager.Dict<string, int>();
        dict["x"] = 21;
        Assert.Equal(42, ManagerTestSupport.Bounded(() => _pool.Apply(ManagerTargets.ReadTimesTwo, dict, "x")));

        dict["x"] = 50;
        Assert.Equal(100, ManagerTestSupport.Bounded(() => _pool.Apply(ManagerTargets.ReadTimesTwo, dict, "x")));
    }

    [Fact]
    public void PoolTask_appends_to_the_shared_inner_list_when_it_reads_a_nested_proxy_from_the_dict()
    {
        // M-27 across processes: the ListProxy read back from the dict in the worker is the parent's list
        var outer = _manager.Dict<string, ListProxy<int>>();
        var inner = _manager.List<int>();
        outer["inner"] = inner;
        var workerPids = ManagerTestSupport.Bounded(() =>
            _pool.StarMap(ManagerTargets.AppendThroughNestedProxy, Enumerable.Range(1, 6).Select(i => (outer, "inner", i)), chunksize: 1));

        Assert.DoesNotContain(Environment.ProcessId, workerPids);
        Assert.Equal([1, 2, 3, 4, 5, 6], inner.Copy().Order());
    }

    [Fact]
    public void ProcessChild_sees_and_mutates_the_shared_objects_when_given_proxies_as_arguments()
    {
        // M-26: proxies travel as Process args
        var ns = _manager.Namespace();
        var list = _manager.List<string>(["from parent"]);
        var dict = _manager.Dict<string, int>();
        dict["input"] = 21;

        var child = new Process(ManagerTargets.FillFromChild, [ns, list, dict]);
        RunToCompletion(child);

        Assert.NotEqual(Environment.ProcessId, ns.Get<int>("child_pid"));
        Assert.Equal(["from parent", "from child"], list.Copy());
        Assert.Equal(42, dict["doubled"]);
    }

    [Fact]
    public void Increment_loses_no_update_when_four_processes_increment_concurrently()
    {
        // M-24 target, pain point 24: server-side increments from 4 processes × Times are exact (Python's d['k'] += 1
        // ended at 744 of 2000). The plain read+write interleaved with them is only reported, not asserted.
        var value = _manager.Value(0);
        var dict = _manager.Dict<string, int>();
        var plain = _manager.Value(0);
        var (ready, go) = (_manager.Value(0), _manager.Value(false));
        var children = Enumerable.Range(0, Children)
            .Select(_ => new Process(ManagerTargets.IncrementMany, [ready, go, value, dict, plain, Times]))
            .ToArray();

        RunTogether(children, ready, go);

        Assert.Equal(Children * Times, value.Value);
        Assert.Equal(Children * Times, dict["count"]);
        output.WriteLine($"plain read+write from {Children} processes: {plain.Value} of {Children * Times} (lost {(Children * Times) - plain.Value})");
    }

    [Fact]
    public void ManagerLock_makes_read_modify_write_exact_when_several_processes_update_one_key()
    {
        // M-24: with a Manager Lock around d['k'] += 1 the total is exact (2000 of 2000 in Python)
        var lk = _manager.Lock();
        var dict = _manager.Dict<string, int>();
        dict["count"] = 0;
        var (ready, go) = (_manager.Value(0), _manager.Value(false));
        var children = Enumerable.Range(0, Children)
            .Select(_ => new Process(ManagerTargets.ReadWriteManyUnderLock, [ready, go, lk, dict, Times]))
            .ToArray();

        RunTogether(children, ready, go);

        Assert.Equal(Children * Times, dict["count"]);
        Assert.False(lk.Locked());
    }

    [Fact]
    public void ManagerLock_is_released_and_the_next_acquire_sees_Abandoned_when_the_holding_child_is_killed()
    {
        // M-54 target (pain point 11): Python keeps the lock held forever; here the manager releases it on the
        // holder's death and tells the next owner.
        var lk = _manager.Lock();
        var holder = _manager.Value(0);
        var child = Start(new Process(ManagerTargets.HoldLockForever, [lk, holder]));
        Assert.True(ManagerTestSupport.WaitUntil(() => holder.Value != 0), "the child did not take the lock within 30 s");
        Assert.Equal(child.Pid, holder.Value);
        Assert.False(lk.Acquire(block: false));

        var clock = Stopwatch.StartNew();
        child.Kill();
        var acquired = ManagerTestSupport.Bounded(() => lk.Acquire(timeout: TimeSpan.FromSeconds(20)));
        var elapsed = clock.Elapsed;
        output.WriteLine($"lock held by killed child released after {elapsed.TotalMilliseconds:0} ms");

        Assert.True(acquired, "the lock was not released within 20 s of the holder's death");
        Assert.True(lk.Abandoned);
        Assert.True(elapsed < ManagerTestSupport.DeathNoticedWithin, $"release took {elapsed.TotalMilliseconds:0} ms");
        child.Join(ManagerTestSupport.TestTimeout);
        Assert.Equal(-9, child.ExitCode);

        lk.Release();
        Assert.True(lk.Acquire(timeout: ManagerTestSupport.TestTimeout));
        Assert.False(lk.Abandoned);
        lk.Release();
    }

    private Process Start(Process process) => _children.Start(process);

    private void RunToCompletion(Process process)
    {
        Start(process);
        process.Join(ManagerTestSupport.TestTimeout);
        Assert.False(process.IsAlive(), $"{process} did not end within {ManagerTestSupport.TestTimeout.TotalSeconds:0} s");
        Assert.True(process.ExitCode == 0, $"{process} ended with {process.ExitCode}: {process.Exception}");
    }

    /// <summary>Starts every child, waits until all are ready, lets them go at once, and waits (bounded) for all to end.</summary>
    private void RunTogether(Process[] children, ValueProxy<int> ready, ValueProxy<bool> go)
    {
        foreach (var child in children)
        {
            Start(child);
        }

        Assert.True(
            ManagerTestSupport.WaitUntil(() => ready.Value == children.Length || children.Any(c => !c.IsAlive())),
            "the children did not become ready within 30 s");
        go.Value = true;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var child in children)
        {
            var left = deadline - DateTime.UtcNow;
            child.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            Assert.False(child.IsAlive(), $"{child} did not end within 60 s");
            Assert.True(child.ExitCode == 0, $"{child} ended with {child.ExitCode}: {child.Exception}");
        }
    }
}

/// <summary>A manager process and a two-worker pool shared by the tests of one class.</summary>
public sealed class ManagerAndPoolFixture : IDisposable
{
    public ManagerAndPoolFixture()
    {
        Manager = Manager.Start();
        Pool = new Pool(2);
    }

    public Manager Manager { get; }

    public Pool Pool { get; }

    public void Dispose()
    {
        Pool.Dispose();
        Manager.Dispose();
    }
}
