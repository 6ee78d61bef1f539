using mp = Multiprocessing;

namespace Multiprocessing.Examples;

/// <summary>
/// The seed's Pool example in C#: each of Python's eight Pool methods once, on worker processes, checking its own
/// results. Ends with "OK pool-methods"; exits non-zero if anything was wrong.
/// </summary>
public static class PoolMethods
{
    public static int Square(int x) => x * x;

    public static int Add(int a, int b) => a + b;

    public static (int Value, int Pid) SquareWithPid(int x) => (x * x, Environment.ProcessId);

    /// <summary>A slow task, so that every worker gets some of them even while the others are still starting.</summary>
    public static int SlowPid(int x)
    {
        Thread.Sleep(250);
        return Environment.ProcessId;
    }

    public static int Run()
    {
        var failures = new List<string>();
        void Check(string what, bool ok)
        {
            Console.WriteLine($"  {(ok ? "ok  " : "FAIL")} {what}");
            if (!ok)
            {
                failures.Add(what);
            }
        }

        Console.WriteLine($"driver pid {Environment.ProcessId}");
        var pids = new HashSet<int>();
        using (var pool = new mp.Pool(processes: 2))
        {
            // apply: blocks until the one call returns.
            var applied = pool.Apply(Square, 7);
            Console.WriteLine($"apply(square, 7) = {applied}");
            Check("apply", applied == 49);

            // apply_async: returns at once; the callback runs on the pool's result thread.
            var called = 0;
            var pending = pool.ApplyAsync(Add, 2, 3, callback: _ => Interlocked.Increment(ref called));
            var sum = pending.Get(TimeSpan.FromSeconds(30));
            Console.WriteLine($"apply_async(add, 2, 3).get() = {sum}");
            Check("apply_async and its callback", sum == 5 && called == 1 && pending.Successful());

            // map: results in input order.
            var mapped = pool.Map(SquareWithPid, Enumerable.Range(0, 40), chunksize: 2);
            pids.UnionWith(mapped.Select(r => r.Pid));
            Console.WriteLine($"map(square, 0..9) = [{string.Join(", ", mapped.Take(10).Select(r => r.Value))}, ...]");
            Check("map", mapped.Select(r => r.Value).SequenceEqual(Enumerable.Range(0, 40).Select(Square)));

            // map_async
            var mapAsync = pool.MapAsync(Square, Enumerable.Range(0, 10)).Get(TimeSpan.FromSeconds(30));
            Console.WriteLine($"map_async(square, 0..9).get() = [{string.Join(", ", mapAsync)}]");
            Check("map_async", mapAsync.SequenceEqual(Enumerable.Range(0, 10).Select(Square)));

            // imap: lazily, in input order.
            var imap = pool.Imap(Square, Enumerable.Range(0, 10)).ToList();
            Console.WriteLine($"imap(square, 0..9) = [{string.Join(", ", imap)}]");
            Check("imap", imap.SequenceEqual(Enumerable.Range(0, 10).Select(Square)));

            // imap_unordered: lazily, in completion order.
            var unordered = pool.ImapUnordered(SquareWithPid, Enumerable.Range(0, 10)).ToList();
            pids.UnionWith(unordered.Select(r => r.Pid));
            Console.WriteLine($"imap_unordered(square, 0..9) = [{string.Join(", ", unordered.Select(r => r.Value))}]");
            Check("imap_unordered", unordered.Select(r => r.Value).Order().SequenceEqual(Enumerable.Range(0, 10).Select(Square)));

            // starmap: each tuple's elements become the arguments.
            var pairs = new[] { (1, 2), (3, 4), (5, 6) };
            var starmap = pool.StarMap(Add, pairs);
            Console.WriteLine($"starmap(add, [(1,2), (3,4), (5,6)]) = [{string.Join(", ", starmap)}]");
            Check("starmap", starmap.SequenceEqual([3, 7, 11]));

            // starmap_async
            var starmapAsync = pool.StarMapAsync(Add, pairs).Get(TimeSpan.FromSeconds(30));
            Console.WriteLine($"starmap_async(add, ...).get() = [{string.Join(", ", starmapAsync)}]");
            Check("starmap_async", starmapAsync.SequenceEqual([3, 7, 11]));

            // Which worker processes ran tasks: slow tasks, one per chunk, reach every worker once all are up (on a
            // loaded machine the second worker may still be starting after the calls above).
            pool.WaitReady(TimeSpan.FromSeconds(60));
            pids.UnionWith(pool.Map(SlowPid, Enumerable.Range(0, 4 * pool.Processes), chunksize: 1));

            pool.Close();
            pool.Join();
        }

        Console.WriteLine($"worker pids: {string.Join(", ", pids.Order())}");
        Check("at least two distinct worker processes, none of them the driver", pids.Count >= 2 && !pids.Contains(Environment.ProcessId));

        if (failures.Count > 0)
        {
            Console.WriteLine($"FAILED pool-methods: {string.Join("; ", failures)}");
            return 1;
        }

        Console.WriteLine("OK pool-methods");
        return 0;
    }
}
