using System.Diagnostics;
using System.Globalization;

namespace Multiprocessing.Host.Bench;

/// <summary>
/// The workloads of shared/bench/py_baseline.py run with this library, in the same order, with the same sizes
/// (a fifth with <c>--quick</c>), names and units; plus <c>worker_rss_mb</c> and the map scale table.
/// </summary>
public sealed class Workloads
{
    private const string Ms = "ms";
    private const string Us = "us";
    private const string Mb = "MB";
    private const string Speedup = "x";
    private const string Items = "items/s";
    private const string Tasks = "tasks/s";
    private const string Ops = "ops/s";
    private const string Pairs = "pairs/s";

    /// <summary>
    /// Our <c>burn</c> runs this many times Python's iteration count, so that one task takes about as long as
    /// Python's (the JIT-compiled loop is that much faster) and the speed-up measures parallelism, not dispatch.
    /// </summary>
    public const int BurnFactor = 50;

    /// <summary>
    /// Untimed calls of the operation a workload times, made first so that the JIT has compiled its paths (in this
    /// process and in the workers) and the number shows the steady state; Python's interpreter needs none. Starting
    /// pools and processes is measured cold, as in Python.
    /// </summary>
    public const int WarmUp = 200;

    private static readonly TimeSpan JoinLimit = TimeSpan.FromMinutes(3);
    private readonly bool _quick;
    private readonly Action<string> _starting;
    private readonly Func<string, bool> _selected;
    private readonly CancellationToken _cancellationToken;
    private readonly List<BenchRow> _rows = [];

    /// <param name="quick">A fifth of the work, and the scale table only up to 10^5 items.</param>
    /// <param name="starting">Told the name of each workload as it starts.</param>
    /// <param name="cancellationToken">Checked between workloads.</param>
    /// <param name="selected">Which rows to measure (by name); <see langword="null"/> measures every row.</param>
    public Workloads(bool quick, Action<string> starting, CancellationToken cancellationToken, Func<string, bool>? selected = null)
    {
        _quick = quick;
        _starting = starting;
        _selected = selected ?? (static _ => true);
        _cancellationToken = cancellationToken;
    }

    /// <summary>Every row, in the order <see cref="Run"/> measures them.</summary>
    /// <param name="quick">Whether the scale table stops at 10^5 items.</param>
    /// <returns>Name and unit of each row.</returns>
    public static IReadOnlyList<(string Name, string Unit)> Catalog(bool quick) =>
    [
        ("pool_start_ms", Ms),
        ("worker_rss_mb", Mb),
        ("apply_roundtrip_us", Us),
        ("map_default_chunk_items_per_s", Items),
        ("map_chunk1_items_per_s", Items),
        ("imap_unordered_chunk1_items_per_s", Items),
        ("apply_async_tasks_per_s", Tasks),
        ("cpu_map_speedup_2_workers", Speedup),
        ("process_start_join_ms", Ms),
        ("queue_cross_process_items_per_s", Items),
        ("manager_dict_set_ops_per_s", Ops),
        ("manager_dict_get_ops_per_s", Ops),
        ("manager_dict_set_2proc_ops_per_s", Ops),
        ("manager_list_append_ops_per_s", Ops),
        ("manager_rlock_acq_rel_per_s", Pairs),
        ("manager_rlock_contended_2proc_per_s", Pairs),
        ("manager_queue_cross_process_items_per_s", Items),
        ("native_rlock_contended_2proc_per_s", Pairs),
        .. from workers in ScaleWorkers
           from n in ScaleSizes(quick)
           select (ScaleName(workers, n), Items),
    ];

    /// <summary>Worker counts of the scale table.</summary>
    public static IReadOnlyList<int> ScaleWorkers { get; } = [1, 2, 4];

    /// <summary>Item counts of the scale table: 10^3 to 10^6, or to 10^5 with <c>--quick</c>.</summary>
    /// <param name="quick">Whether to stop at 10^5.</param>
    /// <returns>The counts.</returns>
    public static IReadOnlyList<int> ScaleSizes(bool quick) => quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];

    /// <summary>The name of one cell of the scale table, as py_bench.py prints it.</summary>
    /// <param name="workers">Pool size.</param>
    /// <param name="items">Items mapped.</param>
    /// <returns>For example <c>scale_map_w2_n10000_items_per_s</c>.</returns>
    public static string ScaleName(int workers, int items) =>
        string.Create(CultureInfo.InvariantCulture, $"scale_map_w{workers}_n{items}_items_per_s");

    /// <summary>Runs every workload, one after the other; a failing workload becomes a failed row.</summary>
    /// <returns>The rows, in <see cref="Catalog"/> order.</returns>
    /// <exception cref="OperationCanceledException">The token fired.</exception>
    public IReadOnlyList<BenchRow> Run()
    {
        _rows.Clear();

        // The driver's own actor system starts once per process (as Python imports multiprocessing once); a local
        // RLock brings it up so that pool_start_ms measures starting workers, not this process's runtime.
        _ = new RLock();

        RunPoolWorkloads();
        RunProcessAndQueue();
        RunManagerWorkloads();
        RunNativeRLock();
        RunScale();

        var order = Catalog(_quick).Select((row, index) => (row.Name, index)).ToDictionary(p => p.Name, p => p.index);
        return [.. _rows.OrderBy(r => order.GetValueOrDefault(r.Name, int.MaxValue))];
    }

    private int Size(int n) => Math.Max(10, (int)(n * (_quick ? 0.2 : 1.0)));

    private static List<long> Range(int n) => [.. Enumerable.Range(0, n).Select(i => (long)i)];

    private static double Rate(int count, Stopwatch clock) => count / clock.Elapsed.TotalSeconds;

    private void RunPoolWorkloads()
    {
        Measure("pool_start_ms", Ms, () =>
        {
            var clock = Stopwatch.StartNew();
            using (var pool = new Pool(2))
            {
                pool.Apply(BenchTasks.Identity, 1L);
            }

            return clock.Elapsed.TotalMilliseconds;
        });

        Group(
            ["worker_rss_mb", "apply_roundtrip_us", "map_default_chunk_items_per_s", "map_chunk1_items_per_s",
                "imap_unordered_chunk1_items_per_s", "apply_async_tasks_per_s", "cpu_map_speedup_2_workers"],
            () =>
            {
                using var pool = new Pool(2);
                var pid = pool.Apply(BenchTasks.WorkerPid);
                pool.Apply(BenchTasks.Identity, 0L);
                if (OperatingSystem.IsLinux())
                {
                    Measure("worker_rss_mb", Mb, () => ReadRssMb(pid));
                }
                else
                {
                    Add(BenchRow.Unavailable("worker_rss_mb", Mb, "needs /proc/<pid>/status (Linux)"));
                }

                Measure("apply_roundtrip_us", Us, () =>
                {
                    for (var i = 0; i < WarmUp; i++)
                    {
                        pool.Apply(BenchTasks.Identity, (long)i);
                    }

                    var n = Size(2000);
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < n; i++)
                    {
                        pool.Apply(BenchTasks.Identity, (long)i);
                    }

                    return clock.Elapsed.TotalMicroseconds / n;
                });

                Measure("map_default_chunk_items_per_s", Items, () =>
                {
                    pool.Map(BenchTasks.Square, Range(WarmUp * 10));
                    var n = Size(200_000);
                    var clock = Stopwatch.StartNew();
                    var squares = pool.Map(BenchTasks.Square, Enumerable.Range(0, n).Select(i => (long)i));
                    Check(squares[^1] == (long)(n - 1) * (n - 1), "map returned a wrong last square");
                    return Rate(n, clock);
                });

                Measure("map_chunk1_items_per_s", Items, () =>
                {
                    pool.Map(BenchTasks.Square, Range(WarmUp), chunksize: 1);
                    var n = Size(20_000);
                    var clock = Stopwatch.StartNew();
                    var squares = pool.Map(BenchTasks.Square, Enumerable.Range(0, n).Select(i => (long)i), chunksize: 1);
                    Check(squares.Count == n, "map returned a wrong count");
                    return Rate(n, clock);
                });

                Measure("imap_unordered_chunk1_items_per_s", Items, () =>
                {
                    _ = pool.ImapUnordered(BenchTasks.Square, Range(WarmUp)).Count();
                    var n = Size(20_000);
                    var clock = Stopwatch.StartNew();
                    var seen = 0;
                    foreach (var _ in pool.ImapUnordered(BenchTasks.Square, Enumerable.Range(0, n).Select(i => (long)i)))
                    {
                        seen++;
                    }

                    Check(seen == n, "imap_unordered returned a wrong count");
                    return Rate(n, clock);
                });

                Measure("apply_async_tasks_per_s", Tasks, () =>
                {
                    foreach (var warm in Range(WarmUp).Select(i => pool.ApplyAsync(BenchTasks.Square, i)).ToList())
                    {
                        warm.Get();
                    }

                    var n = Size(20_000);
                    var clock = Stopwatch.StartNew();
                    var pending = new List<AsyncResult<long>>(n);
                    for (var i = 0; i < n; i++)
                    {
                        pending.Add(pool.ApplyAsync(BenchTasks.Square, (long)i));
                    }

                    var sum = pending.Sum(p => p.Get());
                    Check(sum == Range(n).Sum(i => i * i), "apply_async returned a wrong sum");
                    return Rate(n, clock);
                });

                Measure("cpu_map_speedup_2_workers", Speedup, () =>
                {
                    long work = (_quick ? 400_000 : 2_000_000) * BurnFactor;

                    // Both sides run JIT-compiled code from the first timed call, as Python's interpreter needs no warm-up.
                    BenchTasks.Burn(100_000);
                    pool.Map(BenchTasks.Burn, [100_000L, 100_000L, 100_000L, 100_000L], chunksize: 1);
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < 4; i++)
                    {
                        BenchTasks.Burn(work);
                    }

                    var serial = clock.Elapsed;
                    clock.Restart();
                    pool.Map(BenchTasks.Burn, [work, work, work, work], chunksize: 1);
                    return serial / clock.Elapsed;
                });
            });
    }

    private void RunProcessAndQueue()
    {
        Measure("process_start_join_ms", Ms, () =>
        {
            var n = Size(10);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                var child = new Process(BenchTasks.Noop);
                child.Start();
                JoinOrThrow(child);
            }

            return clock.Elapsed.TotalMilliseconds / n;
        });

        Measure("queue_cross_process_items_per_s", Items, () => CrossProcessQueue(new Multiprocessing.Queue<int>(), Size(100_000)));
    }

    private void RunManagerWorkloads()
    {
        Group(
            ["manager_dict_set_ops_per_s", "manager_dict_get_ops_per_s", "manager_dict_set_2proc_ops_per_s",
                "manager_list_append_ops_per_s", "manager_rlock_acq_rel_per_s", "manager_rlock_contended_2proc_per_s",
                "manager_queue_cross_process_items_per_s"],
            () =>
            {
                using var manager = Manager.Start();
                var shared = manager.Dict<int, int>();
                var n = Size(20_000);
                Measure("manager_dict_set_ops_per_s", Ops, () =>
                {
                    var warm = manager.Dict<int, int>();
                    for (var i = 0; i < WarmUp; i++)
                    {
                        warm[i] = i;
                        _ = warm[i];
                    }

                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < n; i++)
                    {
                        shared[i] = i;
                    }

                    return Rate(n, clock);
                });

                Measure("manager_dict_get_ops_per_s", Ops, () =>
                {
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < n; i++)
                    {
                        _ = shared[i];
                    }

                    return Rate(n, clock);
                });

                Measure("manager_dict_set_2proc_ops_per_s", Ops, () =>
                {
                    var written = manager.Dict<int, int>();
                    var perChild = Size(10_000);
                    var children = Enumerable.Range(0, 2)
                        .Select(j => new Process(BenchTasks.DictWriter, [written, j * perChild, perChild]))
                        .ToList();
                    var clock = Stopwatch.StartNew();
                    RunAll(children);
                    var elapsed = clock.Elapsed;
                    Check(written.Count == 2 * perChild, $"the dict holds {written.Count} of {2 * perChild} entries");
                    return 2 * perChild / elapsed.TotalSeconds;
                });

                Measure("manager_list_append_ops_per_s", Ops, () =>
                {
                    var items = manager.List<int>();
                    var warm = manager.List<int>();
                    for (var i = 0; i < WarmUp; i++)
                    {
                        warm.Append(i);
                    }

                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < n; i++)
                    {
                        items.Append(i);
                    }

                    return Rate(n, clock);
                });

                var rlock = manager.RLock();
                var pairs = Size(10_000);
                Measure("manager_rlock_acq_rel_per_s", Pairs, () =>
                {
                    for (var i = 0; i < WarmUp; i++)
                    {
                        rlock.Acquire();
                        rlock.Release();
                    }

                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < pairs; i++)
                    {
                        rlock.Acquire();
                        rlock.Release();
                    }

                    return Rate(pairs, clock);
                });

                Measure("manager_rlock_contended_2proc_per_s", Pairs, () => Contend(rlock, pairs));

                Measure("manager_queue_cross_process_items_per_s", Items, () =>
                {
                    var queue = manager.Queue<int>();
                    var items = Size(20_000);
                    return CrossProcessQueue(queue, items);
                });
            });
    }

    private void RunNativeRLock() =>
        Measure("native_rlock_contended_2proc_per_s", Pairs, () => Contend(new RLock(), Size(100_000)));

    private void RunScale()
    {
        var sizes = ScaleSizes(_quick);
        foreach (var workers in ScaleWorkers)
        {
            Group(
                [.. sizes.Select(n => ScaleName(workers, n))],
                () =>
                {
                    using var pool = new Pool(workers);
                    pool.Map(BenchTasks.Square, Range(10 * workers));
                    foreach (var n in sizes)
                    {
                        Measure(ScaleName(workers, n), Items, () =>
                        {
                            var clock = Stopwatch.StartNew();
                            var squares = pool.Map(BenchTasks.Square, Enumerable.Range(0, n).Select(i => (long)i));
                            Check(squares.Count == n, "map returned a wrong count");
                            return Rate(n, clock);
                        });
                    }
                });
        }
    }

    /// <summary>Two child processes each acquire and release <paramref name="rlock"/> half of <paramref name="pairs"/> times.</summary>
    private static double Contend(RLock rlock, int pairs)
    {
        var children = Enumerable.Range(0, 2).Select(_ => new Process(BenchTasks.LockUser, [rlock, pairs / 2])).ToList();
        var clock = Stopwatch.StartNew();
        RunAll(children);
        return Rate(pairs, clock);
    }

    /// <summary>A child process puts <paramref name="items"/> items and an end marker; this process gets them all.</summary>
    private static double CrossProcessQueue(Multiprocessing.Queue<int> queue, int items)
    {
        var child = new Process(BenchTasks.Producer, [queue, items]);
        var clock = Stopwatch.StartNew();
        child.Start();
        var got = 0;
        while (queue.Get() != BenchTasks.EndOfItems)
        {
            got++;
        }

        JoinOrThrow(child);
        Check(got == items, $"the queue delivered {got} of {items} items");
        return Rate(items, clock);
    }

    private static void RunAll(List<Process> children)
    {
        foreach (var child in children)
        {
            child.Start();
        }

        foreach (var child in children)
        {
            JoinOrThrow(child);
        }
    }

    private static void JoinOrThrow(Process child)
    {
        child.Join(JoinLimit);
        if (child.IsAlive())
        {
            child.Kill();
            throw new TimeoutException($"{child.Name} did not finish within {JoinLimit.TotalMinutes} minutes.");
        }

        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{child.Name} exited with code {child.ExitCode}" + (child.Exception is { } e ? $": {e.Message}" : "."));
        }
    }

    private static double ReadRssMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS line.");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private void Starting(string name)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        _starting(name);
    }

    private void Add(BenchRow row) => _rows.Add(row);

    private void Measure(string name, string unit, Func<double> measure)
    {
        if (!_selected(name))
        {
            return;
        }

        Starting(name);
        try
        {
            Add(BenchRow.Measured(name, measure(), unit));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Add(BenchRow.Failed(name, unit, Describe(ex)));
        }
    }

    /// <summary>Runs workloads that share a pool or manager; if that fails, its rows not yet measured fail with it.</summary>
    private void Group(IReadOnlyList<string> names, Action body)
    {
        if (!names.Any(_selected))
        {
            return;
        }

        try
        {
            body();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var units = Catalog(_quick).ToDictionary(r => r.Name, r => r.Unit);
            foreach (var name in names.Where(n => !_rows.Any(r => r.Name == n)))
            {
                Add(BenchRow.Failed(name, units[name], Describe(ex)));
            }
        }
    }

    private static string Describe(Exception ex) =>
        $"{ex.GetType().Name}: {ex.Message}".ReplaceLineEndings(" ");
}
