using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Sharing;
using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.ManagerTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Read leases on a Manager's dict, list and Value across real OS processes: a process that keeps reading answers from
/// its copy, its own writes show in the copy, and a change made by another process is seen by every read that starts
/// after the change completed, with no retry. Spec ids refer to /work/shared/spec/python-semantics.md (§1.18 M-20..M-30,
/// §1.19 M-40..M-51).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ReadLeaseTests : IDisposable
{
    private const int EnoughReads = 64;
    private readonly ChildProcesses _children = new();
    private readonly Manager _manager = Manager.Start();

    public void Dispose()
    {
        _children.Dispose();
        _manager.Dispose();
    }

    [Fact]
    public void Repeated_reads_take_a_lease_and_this_process_writes_show_in_the_copy_M41()
    {
        var dict = _manager.Dict<int, int>();
        for (var i = 0; i < 100; i++)
        {
            dict[i] = i;
        }

        for (var i = 0; i < EnoughReads; i++)
        {
            Assert.Equal(i, dict[i]);
        }

        var replica = ReplicaOf(dict);
        Assert.True(replica.HasCopy);

        dict[5] = 500;
        dict.Update([new(200, 2), new(201, 3)]);

        Assert.True(replica.HasCopy);
        Assert.Equal(500, dict[5]);
        Assert.Equal(3, dict[201]);
        Assert.Equal(102, dict.Count);
        Assert.True(dict.ContainsKey(200));
        Assert.Equal(-1, dict.Get(999, -1));
    }

    [Fact]
    public void A_copy_that_this_process_writes_grow_past_read_lease_max_bytes_is_dropped_and_reads_stay_exact()
    {
        var list = _manager.List<string>();
        list.Append("first");
        ReadRepeatedly(() => list[0]);
        Assert.True(ReplicaOf(list).HasCopy);

        var chunk = new string('x', 64 * 1024);
        list.Extend(Enumerable.Repeat(chunk, 20));

        Assert.False(ReplicaOf(list).HasCopy);
        Assert.Equal(21, list.Count);
        Assert.Equal(chunk, list[20]);
    }

    [Fact]
    public void A_missing_key_read_from_the_copy_still_raises_with_the_server_stack_M23()
    {
        var dict = _manager.Dict<string, int>();
        dict["present"] = 1;
        ReadRepeatedly(() => dict["present"]);
        Assert.True(ReplicaOf(dict).HasCopy);

        var ex = Assert.IsType<KeyNotFoundException>(Capture(() => dict["missing"]));

        Assert.IsType<string>(ex.Data["RemoteStackTrace"]);
    }

    [Fact]
    public void A_change_this_process_makes_with_a_call_drops_the_copy_and_reads_stay_exact_M41()
    {
        var dict = _manager.Dict<string, int>();
        dict["a"] = 1;
        dict["b"] = 2;
        ReadRepeatedly(() => dict["a"]);
        Assert.True(ReplicaOf(dict).HasCopy);

        Assert.Equal(2, dict.Pop("b"));
        dict.Increment("a", 10);

        Assert.False(ReplicaOf(dict).HasCopy);
        Assert.Equal(11, dict["a"]);
        Assert.False(dict.ContainsKey("b"));
    }

    [Fact]
    public void A_set_in_another_process_is_seen_by_the_first_read_after_the_child_reports_it_M20()
    {
        var dict = _manager.Dict<string, int>();
        dict["x"] = 0;
        var done = new Multiprocessing.Queue<int>();
        var go = new Multiprocessing.Queue<int>();
        ReadRepeatedly(() => dict["x"]);
        Assert.True(ReplicaOf(dict).HasCopy);

        var child = _children.Start(Targets.SetOnSignal, dict, go, done, 5);
        for (var round = 1; round <= 5; round++)
        {
            // Before each change this process reads again, so it may hold a lease again when the child writes.
            ReadRepeatedly(() => dict["x"]);
            go.Put(round);
            Assert.Equal(round, done.Get(timeout: TestTimeout));
            Assert.Equal(round, dict["x"]);
        }

        child.Join(TestTimeout);
        Assert.Equal(0, child.ExitCode);
    }

    [Fact]
    public void A_counter_incremented_in_two_processes_is_read_exactly_by_a_third_that_keeps_a_lease_M24()
    {
        var value = _manager.Value(0);
        var list = _manager.List<int>();
        ReadRepeatedly(() => value.Value);

        var workers = Enumerable.Range(0, 2).Select(_ => _children.Start(Targets.IncrementAndAppend, value, list, 200)).ToList();
        foreach (var worker in workers)
        {
            worker.Join(TestTimeout);
            Assert.Equal(0, worker.ExitCode);
        }

        Assert.Equal(400, value.Value);
        Assert.Equal(400, list.Count);
        Assert.Equal(Enumerable.Range(1, 400), list.Slice().Order());
    }

    [Fact]
    public void Read_modify_write_under_a_manager_lock_in_two_processes_loses_no_update_M24()
    {
        // M-24: d['k'] += 1 is a read and a write; with a lock around it nothing is lost, copies or not.
        var dict = _manager.Dict<string, int>();
        var value = _manager.Value(0);
        dict["k"] = 0;
        var guard = _manager.Lock();

        var workers = Enumerable.Range(0, 2).Select(_ => _children.Start(Targets.AddUnderLock, dict, value, guard, 150)).ToList();
        while (workers.Any(w => w.IsAlive()))
        {
            // This process reads too, so it keeps taking leases the workers' writes must revoke.
            ReadRepeatedly(() => dict["k"]);
            workers[0].Join(TimeSpan.FromMilliseconds(5));
        }

        foreach (var worker in workers)
        {
            worker.Join(TestTimeout);
            Assert.Equal(0, worker.ExitCode);
        }

        Assert.Equal(300, dict["k"]);
        Assert.Equal(300, value.Value);
    }

    [Fact]
    public void A_child_that_read_under_a_lease_returns_it_when_it_ends_and_later_changes_are_exact()
    {
        var dict = _manager.Dict<int, int>();
        dict[1] = 1;
        var child = _children.Start(Targets.ReadMany, dict, 1, EnoughReads);
        child.Join(TestTimeout);
        Assert.Equal(0, child.ExitCode);

        dict.Increment(1, 1);

        Assert.Equal(2, dict[1]);
    }

    [Fact]
    public void Reads_from_a_copy_fail_with_ManagerUnavailableException_once_the_manager_is_seen_dead_M08()
    {
        using var manager = Manager.Start();
        var dict = manager.Dict<string, int>();
        dict["a"] = 1;
        ReadRepeatedly(() => dict["a"]);
        Assert.True(ReplicaOf(dict).HasCopy);

        KillManagerProcess(manager);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Exception? error = null;
        while (error is null && clock.Elapsed < DeathNoticedWithin)
        {
            error = Capture(() => dict["a"]);
        }

        Assert.IsType<ManagerUnavailableException>(error);
        Assert.IsType<ManagerUnavailableException>(Capture(() => dict.Count));
    }

    [Theory]
    [InlineData("read-cache = off", false, 8)]
    [InlineData("read-lease-after = 3", true, 3)]
    public void Settings_are_read_from_multiprocessing_shared_objects(string setting, bool cache, int after)
    {
        var settings = SharedObjectSettings.Create(Settings(setting));

        Assert.Equal(cache, settings.ReadCache);
        Assert.Equal(after, settings.ReadLeaseAfter);
    }

    [Theory]
    [InlineData("read-lease-after = 0")]
    [InlineData("read-lease-max-bytes = -1")]
    [InlineData("read-cache-max-bytes = -1")]
    public void Settings_out_of_range_are_refused_with_the_key_named(string setting)
    {
        var ex = Assert.Throws<ArgumentException>(() => SharedObjectSettings.Create(Settings(setting)));

        Assert.Contains(setting.Split(' ')[0], ex.Message, StringComparison.Ordinal);
    }

    private static void ReadRepeatedly<T>(Func<T> read)
    {
        for (var i = 0; i < EnoughReads; i++)
        {
            _ = read();
        }
    }

    private static Akka.Configuration.Config Settings(string setting) =>
        Akka.Configuration.ConfigurationFactory.ParseString($"multiprocessing.shared-objects.{setting}")
            .WithFallback(Multiprocessing.Internal.Runtime.MultiprocessingRuntime.DefaultConfig());

    private static ReadReplica ReplicaOf(ISharedObject proxy) =>
        ReadReplicas.For(proxy.Actor, ContainerKinds.Dict) ?? throw new InvalidOperationException("read-cache is off");

    public static class Targets
    {
        private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

        public static void SetOnSignal(DictProxy<string, int> dict, Multiprocessing.Queue<int> go, Multiprocessing.Queue<int> done, int rounds)
        {
            for (var i = 0; i < rounds; i++)
            {
                var round = go.Get(timeout: Bound);
                dict["x"] = round;
                done.Put(round);
            }
        }

        public static void IncrementAndAppend(ValueProxy<int> value, ListProxy<int> list, int count)
        {
            for (var i = 0; i < count; i++)
            {
                list.Append(value.Increment(1));
                _ = value.Value;
            }
        }

        public static void AddUnderLock(DictProxy<string, int> dict, ValueProxy<int> value, Lock guard, int count)
        {
            for (var i = 0; i < count; i++)
            {
                using (guard.Hold())
                {
                    dict["k"] = dict["k"] + 1;
                    value.Value = value.Value + 1;
                }

                // Reads outside the lock keep this process's leases alive between its turns.
                _ = dict["k"];
                _ = value.Value;
            }
        }

        public static void ReadMany(DictProxy<int, int> dict, int key, int reads)
        {
            for (var i = 0; i < reads; i++)
            {
                _ = dict[key];
            }
        }
    }
}
