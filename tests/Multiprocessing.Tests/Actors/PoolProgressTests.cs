using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>The optional <see cref="IProgress{T}"/> of Map, StarMap, Imap and ImapUnordered.</summary>
[Collection("processes")]
public sealed class PoolProgressTests
{
    [Fact]
    public void Map_reports_monotonic_progress_once_per_chunk_ending_at_the_total()
    {
        using var pool = new Pool(2);
        var recorder = new ProgressRecorder();

        var results = Bounded(() => pool.Map(TaskFunctions.Square, Enumerable.Range(0, 100), chunksize: 10, progress: recorder));

        Assert.Equal(100, results.Count);
        var reports = recorder.WaitUntil(r => r.Completed == 100);
        AssertMonotonic(reports);
        Assert.All(reports, r => Assert.Equal(100, r.Total));
        Assert.InRange(reports.Count, 1, 10);
        Assert.Equal(new PoolProgress(100, 100, 0, reports[^1].Elapsed), reports[^1]);
        Assert.Equal(1.0, reports[^1].Fraction);
    }

    [Fact]
    public void Map_progress_counts_the_items_of_failed_chunks_as_failed()
    {
        using var pool = new Pool(2);
        var recorder = new ProgressRecorder();

        Assert.Throws<FormatException>(() => Bounded(() => pool.Map(TaskFunctions.FailOddItems, Enumerable.Range(0, 10), chunksize: 1, progress: recorder)));

        var reports = recorder.WaitUntil(r => r.Completed == 10);
        AssertMonotonic(reports);
        Assert.Equal(5, reports[^1].Failed);
        Assert.Equal(10, reports[^1].Total);
    }

    [Fact]
    public void StarMapAsync_reports_progress_up_to_the_total()
    {
        using var pool = new Pool(1);
        var recorder = new ProgressRecorder();
        var pairs = Enumerable.Range(0, 12).Select(i => (i, i)).ToList();

        var sums = pool.StarMapAsync(TaskFunctions.Add, pairs, chunksize: 4, progress: recorder).Get(TestTimeout);

        Assert.Equal(pairs.Select(p => p.Item1 * 2), sums);
        var reports = recorder.WaitUntil(r => r.Completed == 12);
        AssertMonotonic(reports);
        Assert.Equal(12, reports[^1].Total);
    }

    [Fact]
    public void Imap_over_a_lazy_input_reports_no_total_until_the_input_ends()
    {
        using var pool = new Pool(2);
        var recorder = new ProgressRecorder();

        var results = Drain(pool.Imap(TaskFunctions.Square, LazyRange(30), chunksize: 3, progress: recorder));

        Assert.Equal(Enumerable.Range(0, 30).Select(x => x * x), results);
        var reports = recorder.WaitUntil(r => r is { Completed: 30, Total: 30 });
        AssertMonotonic(reports);
        Assert.All(reports, r => Assert.True(r.Total is null or 30, $"total {r.Total}"));
        Assert.All(reports.Where(r => r.Total is null), r => Assert.Null(r.Fraction));
    }

    [Fact]
    public void ImapUnordered_progress_counts_failures()
    {
        using var pool = new Pool(2);
        var recorder = new ProgressRecorder();
        var iterator = pool.ImapUnordered(TaskFunctions.SquareUnlessThree, Enumerable.Range(0, 8), chunksize: 1, progress: recorder);

        var outcomes = new List<object>();
        for (var i = 0; i < 8; i++)
        {
            try
            {
                outcomes.Add(iterator.Next(TestTimeout));
            }
            catch (ArgumentException ex)
            {
                outcomes.Add(ex);
            }
        }

        Assert.Single(outcomes.OfType<ArgumentException>());
        var reports = recorder.WaitUntil(r => r is { Completed: 8, Total: 8 });
        AssertMonotonic(reports);
        Assert.Equal(1, reports[^1].Failed);
    }

    [Fact]
    public void A_raising_progress_handler_does_not_stop_the_pool()
    {
        using var pool = new Pool(1);

        var first = Bounded(() => pool.Map(TaskFunctions.Square, [1, 2, 3], chunksize: 1, progress: new RaisingProgress()));
        var second = pool.MapAsync(TaskFunctions.Square, [4, 5]).Get(TestTimeout);

        Assert.Equal([1, 4, 9], first);
        Assert.Equal([16, 25], second);
    }

    [Fact]
    public void Map_of_an_empty_input_reports_zero_of_zero()
    {
        using var pool = new Pool(1);
        var recorder = new ProgressRecorder();

        var results = Bounded(() => pool.Map(TaskFunctions.Square, Array.Empty<int>(), progress: recorder));

        Assert.Empty(results);
        var reports = recorder.WaitUntil(r => r.Total == 0);
        Assert.Equal(0, reports[^1].Completed);
    }

    private static void AssertMonotonic(IReadOnlyList<PoolProgress> reports)
    {
        for (var i = 1; i < reports.Count; i++)
        {
            Assert.True(reports[i].Completed >= reports[i - 1].Completed, $"completed went down at report {i}");
            Assert.True(reports[i].Failed >= reports[i - 1].Failed, $"failed went down at report {i}");
            Assert.True(reports[i].Elapsed >= reports[i - 1].Elapsed, $"elapsed went down at report {i}");
        }

        Assert.All(reports, r => Assert.True(r.Failed <= r.Completed && (r.Total is null || r.Completed <= r.Total)));
    }

    private static IEnumerable<int> LazyRange(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    /// <summary>Records reports synchronously, in the order the result thread makes them.</summary>
    private sealed class ProgressRecorder : IProgress<PoolProgress>
    {
        private readonly List<PoolProgress> _reports = [];

        public void Report(PoolProgress value)
        {
            lock (_reports)
            {
                _reports.Add(value);
                Monitor.PulseAll(_reports);
            }
        }

        /// <summary>Waits (bounded) for a report matching <paramref name="last"/>; the reports so far.</summary>
        public List<PoolProgress> WaitUntil(Func<PoolProgress, bool> last)
        {
            var deadline = DateTime.UtcNow + TestTimeout;
            lock (_reports)
            {
                while (!(_reports.Count > 0 && last(_reports[^1])))
                {
                    var left = deadline - DateTime.UtcNow;
                    Assert.True(left > TimeSpan.Zero, $"no matching report; last: {(_reports.Count > 0 ? _reports[^1] : "none")}");
                    Monitor.Wait(_reports, left);
                }

                return [.. _reports];
            }
        }
    }

    private sealed class RaisingProgress : IProgress<PoolProgress>
    {
        public void Report(PoolProgress value) => throw new InvalidOperationException("progress handler failed on purpose");
    }
}
