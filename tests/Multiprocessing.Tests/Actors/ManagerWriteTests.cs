using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>Functions run by the write-ordering tests in other processes.</summary>
public static class WriteTargets
{
    /// <summary>How many keys <paramref name="dict"/> has, read in a worker.</summary>
    public static int CountKeys(DictProxy<int, int> dict) => dict.Count;

    /// <summary>Writes <c>d["x"] = i</c> then puts <c>i</c>, for i in 1..n (two different objects, each write unacknowledged).</summary>
    public static void WriteThenPut(DictProxy<string, int> dict, Queue<int> queue, int n)
    {
        for (var i = 1; i <= n; i++)
        {
            dict["x"] = i;
            queue.Put(i);
        }
    }

    /// <summary>Appends 0..n-1 to <paramref name="list"/> and returns; the end of the task waits for the appends.</summary>
    public static int Append(ListProxy<int> list, int n)
    {
        for (var i = 0; i < n; i++)
        {
            list.Append(i);
        }

        return n;
    }
}

/// <summary>
/// Manager writes that cannot fail for valid arguments (dict set and update, list append and extend, Value and
/// Namespace set) are sent without waiting for their answer. Every synchronization point (any call, a queue put to
/// another object, pool submission, process start, the end of a task or process) first waits for them, so no program
/// that synchronizes through the library can tell the difference from Python's synchronous round trip per call
/// (M-20, python-semantics §1.18), and a failure is raised, never dropped (M-08 for a dead manager).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ManagerWriteTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_pool_task_submitted_after_writes_sees_all_of_them()
    {
        using var manager = Manager.Start();
        using var pool = new Pool(1);
        var dict = manager.Dict<int, int>();
        for (var i = 0; i < 500; i++)
        {
            dict[i] = i;
        }

        Assert.Equal(500, pool.ApplyAsync(WriteTargets.CountKeys, dict).Get(Bound));
    }

    [Fact]
    public void A_write_is_seen_before_a_later_queue_put_of_the_same_process()
    {
        using var manager = Manager.Start();
        var dict = manager.Dict<string, int>();
        dict["x"] = 0;
        var queue = new Queue<int>();
        var writer = new Process(WriteTargets.WriteThenPut, [dict, queue, 200]);
        writer.Start();
        for (var expected = 1; expected <= 200; expected++)
        {
            var item = queue.Get(timeout: Bound);
            Assert.Equal(expected, item);

            // The put came after the write of the same value: the dict already holds it (or a later one).
            Assert.True(dict["x"] >= item, $"read {dict["x"]} after taking {item} from the queue");
        }

        writer.Join(Bound);
        Assert.Equal(0, writer.ExitCode);
    }

    [Fact]
    public void Appends_of_a_task_are_applied_before_its_result_arrives()
    {
        using var manager = Manager.Start();
        using var pool = new Pool(2);
        var list = manager.List<int>();
        var counts = pool.StarMap(WriteTargets.Append, Enumerable.Range(0, 4).Select(_ => (list, 250)), chunksize: 1);
        Assert.Equal(1000, counts.Sum());
        Assert.Equal(1000, list.Count);
    }

    [Fact]
    public void Writes_keep_their_order_for_the_reader()
    {
        using var manager = Manager.Start();
        var value = manager.Value(0);
        var ns = manager.Namespace();
        for (var i = 1; i <= 300; i++)
        {
            value.Value = i;
            ns.Set("last", i);
        }

        Assert.Equal(300, value.Value);
        Assert.Equal(300, ns.Get<int>("last"));
    }

    [Fact]
    public void A_write_after_the_manager_died_fails_with_ManagerUnavailableException()
    {
        using var manager = Manager.Start();
        var dict = manager.Dict<string, int>();
        dict["a"] = 1;
        Assert.Equal(1, dict["a"]);
        ManagerTestSupport.KillManagerProcess(manager);

        // Either the write itself or, at the latest, the next call raises: never a silent loss.
        var error = ManagerTestSupport.Capture(() =>
        {
            dict["b"] = 2;
            _ = dict.Count;
        });
        Assert.IsType<ManagerUnavailableException>(error);
    }
}
