using Spectre.Console;
using mp = Multiprocessing;

namespace Multiprocessing.Examples;

/// <summary>
/// A progress bar over a long <c>Imap</c>: the pool reports a <see cref="PoolProgress"/> once per finished chunk and
/// a Spectre.Console bar shows it. The input is lazy, so the total is unknown until it has been read. Ends with
/// "OK progress".
/// </summary>
public static class ProgressExample
{
    private const int Items = 2_000;

    /// <summary>A task that takes a moment, so the bar has something to show.</summary>
    public static long SlowCube(int x)
    {
        Thread.Sleep(2);
        return (long)x * x * x;
    }

    public static int Run()
    {
        using var pool = new mp.Pool(2);
        var bar = new BarProgress();
        long sum = 0;
        var count = 0;
        PoolProgress last = default;

        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                bar.Task = context.AddTask("cubes", maxValue: Items);
                foreach (var cube in pool.Imap(SlowCube, Input(), chunksize: 20, progress: bar))
                {
                    sum += cube;
                    count++;
                }

                // The last report may still be on its way from the pool's result thread when the last result is read.
                SpinWait.SpinUntil(() => bar.Last.Completed == Items, TimeSpan.FromSeconds(5));
                last = bar.Last;
            });

        pool.Close();
        pool.Join();

        var expected = Enumerable.Range(0, Items).Sum(x => (long)x * x * x);
        Console.WriteLine($"{count} cubes, sum {sum}; last report: {last.Completed}/{last.Total} in {last.Elapsed.TotalMilliseconds:0} ms");
        if (sum != expected || count != Items || last.Completed != Items || last.Total != Items)
        {
            Console.WriteLine($"FAILED: expected sum {expected} of {Items} cubes");
            return 1;
        }

        Console.WriteLine("OK progress");
        return 0;
    }

    /// <summary>A lazy input: Imap reads it a window at a time.</summary>
    private static IEnumerable<int> Input()
    {
        for (var i = 0; i < Items; i++)
        {
            yield return i;
        }
    }

    /// <summary>Moves the bar on the pool's result thread; reports arrive in order, once per chunk.</summary>
    private sealed class BarProgress : IProgress<PoolProgress>
    {
        public ProgressTask? Task { get; set; }

        private PoolProgress _last;

        public PoolProgress Last
        {
            get
            {
                lock (this)
                {
                    return _last;
                }
            }
        }

        public void Report(PoolProgress value)
        {
            lock (this)
            {
                _last = value;
            }

            if (Task is { } task)
            {
                if (value.Total is { } total)
                {
                    task.MaxValue = total;
                }

                task.Value = value.Completed;
                task.Description = value.Failed > 0 ? $"cubes ({value.Failed} failed)" : "cubes";
            }
        }
    }
}
