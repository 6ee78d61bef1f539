using System.Diagnostics;
using System.Globalization;
using mp = Multiprocessing;
using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Examples;

/// <summary>
/// Fault tolerance under SIGKILL (Linux). Three parts, each checked exactly, each wait bounded:
/// <list type="bullet">
/// <item>a <c>Map</c> over 4 workers while a random worker is killed every 200 ms: every result present once and
/// correct (a part that fails with <see cref="WorkerLostException"/> is counted, reported and submitted again);</item>
/// <item>a Manager dict counter incremented atomically by 4 processes, one of them killed: the total equals the
/// increments the processes saw acknowledged, plus at most the one the killed process had in flight;</item>
/// <item>a Queue between 2 producers and 2 consumers, one consumer killed: every item consumed exactly once or still
/// in the queue, except at most one: the item the killed consumer held (taken from the queue, not yet recorded).</item>
/// </list>
/// At the end no child of this process may be left. Prints its figures and ends with "OK chaos".
/// Usage: <c>chaos [--short]</c> (the short form runs in CI).
/// </summary>
public static class Chaos
{
    private const int Workers = 4;
    private const int Iterations = 100_000;
    private const ulong Multiplier = 6364136223846793005UL;
    private const ulong Increment = 1442695040888963407UL;
    private static readonly TimeSpan KillEvery = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);
    private static string? _readyDirectory;
    private static bool _announced;

    // ----- functions run in the children -----

    /// <summary>Pool initializer: where tasks announce that their worker process is up and taking work.</summary>
    public static void SetReadyDirectory(string directory) => _readyDirectory = directory;

    /// <summary>
    /// A task of about 0.1 ms (long enough that even a fast machine is still mapping when the kills start) whose
    /// result the driver checks independently: <see cref="Iterations"/> steps of an LCG seeded by the input.
    /// </summary>
    public static (int X, long Value) Work(int x)
    {
        if (!_announced && _readyDirectory is not null)
        {
            // Only workers that took a task are killed: a worker killed while starting counts as a failed start.
            _announced = true;
            File.WriteAllText(Path.Combine(_readyDirectory, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)), string.Empty);
        }

        var h = (ulong)x;
        for (var i = 0; i < Iterations; i++)
        {
            h = unchecked((h * Multiplier) + Increment);
        }

        return (x, (long)h);
    }

    /// <summary>
    /// Adds 1 to the shared total <paramref name="count"/> times (until killed, for the victim), recording after each
    /// acknowledged increment how many it saw acknowledged; survivors then report the totals they were answered.
    /// </summary>
    public static void AddOne(mp.DictProxy<string, long> counts, mp.Queue<long[]> reports, int id, int count)
    {
        var answers = new List<long>();
        var deadline = DateTime.UtcNow + Bound;
        for (var k = 1; k <= count && DateTime.UtcNow < deadline; k++)
        {
            answers.Add(counts.Increment("total", 1L));
            counts[$"acked-{id}"] = k;
        }

        reports.Put([.. answers]);
    }

    /// <summary>Puts <paramref name="count"/> distinct items, in small bursts so consumers run alongside.</summary>
    public static void Produce(mp.Queue<int> items, int id, int count)
    {
        for (var k = 0; k < count; k++)
        {
            items.Put((id * 10_000_000) + k);
            if (k % 100 == 99)
            {
                Thread.Sleep(2);
            }
        }
    }

    /// <summary>Takes items until a negative one, recording each as consumed (an acknowledged, atomic increment).</summary>
    public static void Consume(mp.Queue<int> items, mp.DictProxy<int, int> consumed)
    {
        while (true)
        {
            var item = items.Get(timeout: Bound);
            if (item < 0)
            {
                return;
            }

            consumed.Increment(item, 1);
        }
    }

    // ----- the driver -----

    public static int Run(string[] args)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.WriteLine("chaos needs Linux (/proc, SIGKILL).");
            return 2;
        }

        var isShort = args.Contains("--short");
        var tasks = isShort ? 20_000 : 100_000;
        var increments = isShort ? 500 : 2_000;
        var itemsPerProducer = isShort ? 1_000 : 5_000;
        Console.WriteLine($"driver pid {Environment.ProcessId}; {(isShort ? "short" : "full")} run");

        // Nothing may hang: a run that takes far too long is a failure, not a stuck CI job.
        using var watchdog = new Timer(
            _ =>
            {
                Console.WriteLine("FAILED chaos: the run did not finish within 10 minutes");
                Environment.Exit(1);
            },
            null,
            TimeSpan.FromMinutes(10),
            Timeout.InfiniteTimeSpan);

        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        failures.AddRange(PoolUnderKills(tasks));
        Console.WriteLine($"  ({clock.Elapsed.TotalSeconds:0.0} s)");
        clock.Restart();
        using (var manager = mp.Manager.Start())
        {
            failures.AddRange(CounterUnderKill(manager, increments));
            Console.WriteLine($"  ({clock.Elapsed.TotalSeconds:0.0} s)");
            clock.Restart();
            failures.AddRange(QueueUnderKill(manager, itemsPerProducer));
            Console.WriteLine($"  ({clock.Elapsed.TotalSeconds:0.0} s)");
        }

        var left = WaitChildrenGone(TimeSpan.FromSeconds(15));
        Console.WriteLine($"children left at the end: {left.Count}");
        if (left.Count > 0)
        {
            failures.Add($"child processes left behind: {string.Join(", ", left)}");
        }

        if (failures.Count > 0)
        {
            Console.WriteLine($"FAILED chaos: {string.Join("; ", failures)}");
            return 1;
        }

        Console.WriteLine("OK chaos");
        return 0;
    }

    /// <summary>Part a: a Map of <paramref name="tasks"/> tasks while a random ready worker is SIGKILLed every 200 ms.</summary>
    private static List<string> PoolUnderKills(int tasks)
    {
        Console.WriteLine($"a) Map of {tasks} tasks over {Workers} workers, a random worker SIGKILLed every {KillEvery.TotalMilliseconds:0} ms");
        var failures = new List<string>();
        var ready = Directory.CreateTempSubdirectory("mp-chaos-");
        try
        {
            using var pool = new mp.Pool(new mp.PoolOptions
            {
                Processes = Workers,
                Initializer = SetReadyDirectory,
                InitializerArgs = [ready.FullName],

                // A chunk may be caught by several kills in a row here; the default (3) is for workers that die rarely.
                MaxRetries = 50,
            });

            // Submitted as 10 parts, so a part that fails with WorkerLostException all the same (a chunk whose workers
            // were killed MaxRetries times) is counted and submitted again alone; the checks cover every part's final results.
            const int Parts = 10;
            var size = (tasks + Parts - 1) / Parts;
            var inputs = Enumerable.Range(0, Parts).Select(p => Enumerable.Range(p * size, Math.Max(0, Math.Min(size, tasks - (p * size)))).ToList()).ToList();
            var pending = inputs.Select(input => pool.MapAsync(Work, input, chunksize: 100)).ToArray();
            var results = new IReadOnlyList<(int X, long Value)>?[Parts];
            var lost = 0;

            using var stop = new CancellationTokenSource();
            var killer = Task.Run(() => KillWorkers(ready.FullName, stop.Token));
            var deadline = DateTime.UtcNow + Bound;
            try
            {
                for (var p = 0; p < Parts; p++)
                {
                    while (results[p] is null)
                    {
                        var left = deadline - DateTime.UtcNow;
                        if (left <= TimeSpan.Zero)
                        {
                            throw new TimeoutException($"part {p} of the Map did not finish within {Bound}");
                        }

                        try
                        {
                            results[p] = pending[p].Get(left);
                        }
                        catch (mp.WorkerLostException ex)
                        {
                            lost++;
                            Console.WriteLine($"  part {p} failed and is submitted again: {ex.Message}");
                            pending[p] = pool.MapAsync(Work, inputs[p], chunksize: 100);
                        }
                    }
                }
            }
            finally
            {
                stop.Cancel();
            }

            var kills = killer.Wait(Bound) ? killer.Result : -1;

            // Every input's result exactly once, in its place, with the right value.
            var seen = new int[tasks];
            var wrong = 0;
            foreach (var (x, value) in results.SelectMany(r => r!))
            {
                if (x < 0 || x >= tasks)
                {
                    wrong++;
                    continue;
                }

                seen[x]++;
            }

            wrong += Enumerable.Range(0, Parts).Sum(p => inputs[p].Where((x, i) => results[p]![i].X != x).Count());
            var values = results.SelectMany(r => r!).ToArray();
            var (a, c) = Jump();
            var bad = values.Count(v => v.Value != unchecked((long)((a * (ulong)v.X) + c)));
            var missing = seen.Count(c => c == 0);
            var twice = seen.Count(c => c > 1);
            var after = pool.MapAsync(Work, [1, 2, 3]).Get(Bound);

            Console.WriteLine($"  workers killed: {kills}; parts failed with WorkerLostException and submitted again: {lost}");
            Console.WriteLine($"  results: {values.Length} received, {missing} missing, {twice} more than once, {wrong} out of place, {bad} wrong");
            pool.Close();
            var joined = pool.JoinAsync(Bound).GetAwaiter().GetResult();
            Console.WriteLine($"  pool after the kills: map {(after.Select(r => r.X).SequenceEqual([1, 2, 3]) ? "correct" : "WRONG")}, joined {joined}");

            if (kills <= 0)
            {
                failures.Add("a) no worker was killed: the run proves nothing");
            }

            if (missing + twice + wrong + bad > 0 || values.Length != tasks)
            {
                failures.Add($"a) results not exactly once and correct ({missing} missing, {twice} twice, {wrong} out of place, {bad} wrong)");
            }

            if (!joined || !after.Select(r => r.X).SequenceEqual([1, 2, 3]))
            {
                failures.Add("a) the pool did not work or stop normally after the kills");
            }
        }
        catch (Exception ex) when (ex is TimeoutException or mp.MultiprocessingException)
        {
            failures.Add($"a) {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            ready.Delete(recursive: true);
        }

        return failures;
    }

    /// <summary>
    /// The LCG's <see cref="Iterations"/> steps as one affine map h -> a*h + c (mod 2^64): the check of each result
    /// without repeating the work.
    /// </summary>
    private static (ulong A, ulong C) Jump()
    {
        ulong a = 1, c = 0;
        for (var i = 0; i < Iterations; i++)
        {
            a = unchecked(a * Multiplier);
            c = unchecked((c * Multiplier) + Increment);
        }

        return (a, c);
    }

    /// <summary>Every 200 ms, SIGKILLs one random worker of this process that has taken a task; returns the count.</summary>
    private static int KillWorkers(string readyDirectory, CancellationToken stop)
    {
        var random = new Random(4711);
        var killed = new HashSet<int>();
        while (!stop.WaitHandle.WaitOne(KillEvery))
        {
            var candidates = Directory.EnumerateFiles(readyDirectory)
                .Select(f => int.Parse(Path.GetFileName(f), CultureInfo.InvariantCulture))
                .Where(pid => !killed.Contains(pid) && IsMyChild(pid, "pool-worker"))
                .ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var victim = candidates[random.Next(candidates.Count)];
            try
            {
                using var process = OsProcess.GetProcessById(victim);
                process.Kill();
                killed.Add(victim);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // It exited by itself meanwhile.
            }
        }

        return killed.Count;
    }

    /// <summary>Part b: a counter incremented by 4 processes, one of them SIGKILLed midway.</summary>
    private static List<string> CounterUnderKill(mp.Manager manager, int increments)
    {
        Console.WriteLine($"b) a Manager dict counter incremented by {Workers} processes ({increments} each), one SIGKILLed midway");
        var failures = new List<string>();
        var counts = manager.Dict<string, long>();
        var reports = new mp.Queue<long[]>();

        // Process 0 increments until it is killed; the survivors do their fixed number.
        var processes = Enumerable.Range(0, Workers)
            .Select(id => new mp.Process(AddOne, [counts, reports, id, id == 0 ? int.MaxValue : increments], name: $"incrementer-{id}"))
            .ToList();
        processes.ForEach(p => p.Start());

        var deadline = DateTime.UtcNow + Bound;
        while (counts.Get("acked-0", 0) < increments / 4 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        processes[0].Kill();
        processes[0].Join(Bound);
        var answers = new List<long>();
        try
        {
            for (var i = 1; i < Workers; i++)
            {
                answers.AddRange(reports.Get(timeout: Bound));
            }
        }
        catch (mp.QueueEmptyException)
        {
            failures.Add("b) a surviving process did not report within the bound");
        }

        processes.Skip(1).ToList().ForEach(p => p.Join(Bound));

        var total = counts.Get("total", -1);
        var victim = counts.Get("acked-0", 0);
        var survivors = Enumerable.Range(1, Workers - 1).Sum(id => counts.Get($"acked-{id}", 0));
        var inFlight = total - survivors - victim;
        var distinct = answers.Distinct().Count();
        Console.WriteLine($"  total {total}; acknowledged: survivors {survivors}, killed process {victim} (exit code {processes[0].ExitCode}); " +
            $"in flight at the kill: {inFlight}");
        Console.WriteLine($"  survivors' answers: {answers.Count}, {distinct} distinct, all within 1..total: {answers.All(a => a >= 1 && a <= total)}");

        if (processes[0].ExitCode != -9)
        {
            failures.Add($"b) the victim was not killed (exit code {processes[0].ExitCode})");
        }

        if (processes.Skip(1).Any(p => p.ExitCode != 0) || survivors != (Workers - 1) * increments)
        {
            failures.Add($"b) survivors did not finish normally ({survivors} acknowledged, expected {(Workers - 1) * increments})");
        }

        // Lost increments make the total smaller than what was acknowledged; duplicated ones make it larger than that
        // plus the one increment the killed process may have had unanswered.
        if (inFlight is < 0 or > 1)
        {
            failures.Add($"b) the total {total} differs from the acknowledged increments ({survivors} + {victim}) by {inFlight}");
        }

        if (distinct != answers.Count || answers.Count != survivors || answers.Any(a => a < 1 || a > total))
        {
            failures.Add("b) two increments were answered with the same total, or a total out of range");
        }

        return failures;
    }

    /// <summary>Part c: 2 producers and 2 consumers on one Queue, one consumer SIGKILLed midway.</summary>
    private static List<string> QueueUnderKill(mp.Manager manager, int perProducer)
    {
        Console.WriteLine($"c) a Queue with 2 producers ({perProducer} items each) and 2 consumers, one consumer SIGKILLed midway");
        var failures = new List<string>();
        var items = new mp.Queue<int>();
        var consumed = manager.Dict<int, int>();
        var producers = Enumerable.Range(0, 2).Select(id => new mp.Process(Produce, [items, id, perProducer], name: $"producer-{id}")).ToList();
        var consumers = Enumerable.Range(0, 2).Select(id => new mp.Process(Consume, [items, consumed], name: $"consumer-{id}")).ToList();
        consumers.ForEach(c => c.Start());
        producers.ForEach(p => p.Start());

        var deadline = DateTime.UtcNow + Bound;
        while (consumed.Count < perProducer / 2 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        consumers[0].Kill();
        consumers[0].Join(Bound);
        producers.ForEach(p => p.Join(Bound));

        // All items are in the queue before this: the survivor takes everything, then its stop sign.
        items.Put(-1);
        consumers[1].Join(Bound);

        var remaining = new List<int>();
        while (items.Qsize() > 0)
        {
            remaining.Add(items.Get(timeout: TimeSpan.FromSeconds(5)));
        }

        var produced = Enumerable.Range(0, 2).SelectMany(id => Enumerable.Range(0, perProducer).Select(k => (id * 10_000_000) + k)).ToHashSet();
        var records = consumed.Items();
        var unknown = records.Count(r => !produced.Contains(r.Key)) + remaining.Count(r => !produced.Contains(r));
        var twice = records.Count(r => r.Value != 1) + remaining.Count(r => records.Any(c => c.Key == r)) + (remaining.Count - remaining.Distinct().Count());
        var missing = produced.Except(records.Select(r => r.Key)).Except(remaining).ToList();
        Console.WriteLine($"  produced {produced.Count}; consumed once {records.Count(r => r.Value == 1)}; still queued {remaining.Count}; " +
            $"consumed twice or more {twice}; unknown {unknown}; in the killed consumer's hands {missing.Count}" +
            (missing.Count > 0 ? $" (item {missing[0]})" : string.Empty));

        if (consumers[0].ExitCode != -9)
        {
            failures.Add($"c) the consumer was not killed (exit code {consumers[0].ExitCode})");
        }

        if (producers.Any(p => p.ExitCode != 0) || consumers[1].ExitCode != 0)
        {
            failures.Add("c) a producer or the surviving consumer did not finish normally");
        }

        // Exactly once, except the one item a killed consumer may hold: taken from the queue, not yet recorded.
        if (twice > 0 || unknown > 0 || missing.Count > 1)
        {
            failures.Add($"c) items not consumed exactly once ({twice} twice, {unknown} unknown, {missing.Count} missing)");
        }

        return failures;
    }

    /// <summary>Whether <paramref name="pid"/> is a live child of this process whose command line has <paramref name="role"/>.</summary>
    private static bool IsMyChild(int pid, string role)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return fields[0] is not ("Z" or "X")
                && int.Parse(fields[1], CultureInfo.InvariantCulture) == Environment.ProcessId
                && (role.Length == 0 || cmdline.Contains($" {role} ", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Waits until no live process has this one as parent; returns those still there at the deadline.</summary>
    private static List<int> WaitChildrenGone(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var children = new List<int>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                // Warm spares (mp.Process.SpareProcessIds) are not orphans: they wait for work and stop with this process.
                if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && IsMyChild(pid, string.Empty)
                    && !mp.Process.SpareProcessIds.Contains(pid))
                {
                    children.Add(pid);
                }
            }

            if (children.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return children;
            }

            Thread.Sleep(100);
        }
    }
}
