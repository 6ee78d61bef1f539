using System.Globalization;
using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.SyncTestSupport;
using mp = Multiprocessing;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="mp.Barrier"/> in this process and across real OS processes. Spec ids refer to
/// /work/shared/spec/python-semantics.md (§1.16 B-, §2.3 item 6).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class BarrierTests : IDisposable
{
    /// <summary>The barrier action reads where to record its runs from here (an action takes no arguments).</summary>
    private const string ActionFileVariable = "MP_TEST_BARRIER_ACTION_FILE";

    private readonly string _folder = Directory.CreateTempSubdirectory("mp-barrier-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // ----- this process (B-01, B-04..B-06, B-08) -----

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_throws_ArgumentOutOfRangeException_when_parties_is_below_one_B01(int parties)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new mp.Barrier(parties));
        Assert.Equal(parties, error.ActualValue);
    }

    [Fact]
    public void Constructor_throws_ArgumentException_naming_the_variable_when_the_action_captures_state()
    {
        var note = "captured";

        var error = Assert.Throws<ArgumentException>(() => new mp.Barrier(2, () => Console.WriteLine(note)));

        Assert.Contains("'note'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Properties_report_parties_waiting_parties_and_broken_B01()
    {
        var barrier = new mp.Barrier(3);

        Assert.Equal(3, barrier.Parties);
        Assert.Equal(0, barrier.NWaiting);
        Assert.False(barrier.Broken);

        var waiting = Task.Run(() => barrier.Wait(Within));
        WaitUntil(() => barrier.NWaiting == 1, "one party waits");
        barrier.Abort();
        await Assert.ThrowsAsync<BrokenBarrierException>(() => waiting.WaitAsync(Within));
    }

    [Fact]
    public void Wait_on_a_one_party_barrier_returns_zero_at_once_every_time_B08()
    {
        var barrier = new mp.Barrier(1);

        Assert.Equal(0, barrier.Wait(TimeSpan.Zero));
        Assert.Equal(0, barrier.Wait(TimeSpan.Zero));
    }

    [Fact]
    public async Task Abort_breaks_the_waiters_and_later_waits_fail_at_once_until_Reset_B04_B05_B06()
    {
        var barrier = new mp.Barrier(2);
        var waiting = Task.Run(() => barrier.Wait(Within));
        WaitUntil(() => barrier.NWaiting == 1, "one party waits");

        barrier.Abort();

        await Assert.ThrowsAsync<BrokenBarrierException>(() => waiting.WaitAsync(Within));
        Assert.True(barrier.Broken);
        Assert.Throws<BrokenBarrierException>(() => barrier.Wait(Within));

        barrier.Reset();

        Assert.False(barrier.Broken);
        var other = Task.Run(() => barrier.Wait(Within));
        var index = barrier.Wait(Within);
        Assert.Equal([0, 1], new[] { index, await other.WaitAsync(Within) }.Order());
    }

    [Fact]
    public async Task Reset_breaks_the_current_waiters_and_leaves_the_barrier_usable_B06()
    {
        var barrier = new mp.Barrier(2);
        var waiting = Task.Run(() => barrier.Wait(Within));
        WaitUntil(() => barrier.NWaiting == 1, "one party waits");

        barrier.Reset();

        await Assert.ThrowsAsync<BrokenBarrierException>(() => waiting.WaitAsync(Within));
        Assert.False(barrier.Broken);
    }

    [Fact]
    public async Task WaitAsync_cancelled_throws_OperationCanceledException_and_breaks_the_barrier()
    {
        var barrier = new mp.Barrier(2);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => barrier.WaitAsync(Within, cancel.Token).WaitAsync(Within));

        Assert.True(barrier.Broken);
    }

    // ----- other processes (B-02, B-03, B-07) -----

    [Fact]
    public void Wait_gives_the_parent_and_two_children_distinct_indices_in_each_generation_B02()
    {
        var barrier = new mp.Barrier(3);
        var children = new[]
        {
            StartChild(Children.WaitTwiceAndRecord, barrier, Path.Combine(_folder, "a")),
            StartChild(Children.WaitTwiceAndRecord, barrier, Path.Combine(_folder, "b")),
        };
        try
        {
            var mine = new[] { barrier.Wait(Within), barrier.Wait(Within) };

            Assert.All(children, AssertExitsCleanly);
            var a = ReadIndices("a");
            var b = ReadIndices("b");
            for (var generation = 0; generation < 2; generation++)
            {
                Assert.Equal([0, 1, 2], new[] { mine[generation], a[generation], b[generation] }.Order());
            }

            Assert.False(barrier.Broken);
        }
        finally
        {
            Array.ForEach(children, KillIfAlive);
        }
    }

    [Fact]
    public void Wait_that_times_out_in_the_parent_breaks_the_barrier_for_a_waiting_child_B03()
    {
        var barrier = new mp.Barrier(3);
        var child = StartChild(Children.ExpectBroken, barrier);
        try
        {
            WaitUntil(() => barrier.NWaiting == 1, "the child waits");

            Assert.Throws<BrokenBarrierException>(() => barrier.Wait(TimeSpan.FromMilliseconds(300)));

            AssertExitsCleanly(child);
            Assert.True(barrier.Broken);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public void Wait_without_a_timeout_uses_the_constructor_timeout_and_breaks_the_barrier_B03()
    {
        var barrier = new mp.Barrier(2, timeout: TimeSpan.FromMilliseconds(300));
        var child = StartChild(Children.ExpectBrokenWithDefaultTimeout, barrier);
        try
        {
            AssertExitsCleanly(child);
            Assert.True(barrier.Broken);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public void Action_runs_once_per_generation_in_the_last_party_before_any_is_released_B07()
    {
        var record = Path.Combine(_folder, "action");
        Environment.SetEnvironmentVariable(ActionFileVariable, record);
        var barrier = new mp.Barrier(2, Children.RecordAction);
        var child = StartChild(Children.WaitTwiceAndCheckAction, barrier, record);
        try
        {
            for (var generation = 1; generation <= 2; generation++)
            {
                barrier.Wait(Within);
                Assert.Equal(generation, File.ReadAllLines(record).Length);
            }

            AssertExitsCleanly(child);
            Assert.Equal(2, File.ReadAllLines(record).Length);
        }
        finally
        {
            KillIfAlive(child);
            Environment.SetEnvironmentVariable(ActionFileVariable, null);
        }
    }

    [Fact]
    public void Action_that_throws_raises_its_exception_in_the_last_party_and_breaks_the_barrier_for_the_others_B07()
    {
        var barrier = new mp.Barrier(2, Children.FailingAction);
        var child = StartChild(Children.ExpectBroken, barrier);
        try
        {
            WaitUntil(() => barrier.NWaiting == 1, "the child waits");

            var error = Assert.Throws<InvalidOperationException>(() => barrier.Wait(Within));

            Assert.Equal("the barrier action failed", error.Message);
            AssertExitsCleanly(child);
            Assert.True(barrier.Broken);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public async Task Wait_raises_BrokenBarrierException_when_a_waiting_child_is_killed()
    {
        var barrier = new mp.Barrier(3);
        var child = StartChild(Children.ExpectBroken, barrier);
        try
        {
            var mine = Task.Run(() => barrier.Wait(Within));
            WaitUntil(() => barrier.NWaiting == 2, "the child and the parent wait");

            child.Kill();

            await Assert.ThrowsAsync<BrokenBarrierException>(() => mine.WaitAsync(Within));
            Assert.True(barrier.Broken);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    private int[] ReadIndices(string name) =>
        [.. File.ReadAllLines(Path.Combine(_folder, name)).Select(l => int.Parse(l, CultureInfo.InvariantCulture))];

    /// <summary>Child targets and barrier actions: public static methods that run in other processes.</summary>
    public static class Children
    {
        public static void WaitTwiceAndRecord(mp.Barrier barrier, string path)
        {
            var first = barrier.Wait(Within);
            var second = barrier.Wait(Within);
            File.WriteAllLines(path, [first.ToString(CultureInfo.InvariantCulture), second.ToString(CultureInfo.InvariantCulture)]);
        }

        public static void ExpectBroken(mp.Barrier barrier)
        {
            try
            {
                barrier.Wait(Within);
            }
            catch (BrokenBarrierException)
            {
                return;
            }

            throw new InvalidOperationException("The wait passed although the barrier should have broken.");
        }

        public static void ExpectBrokenWithDefaultTimeout(mp.Barrier barrier)
        {
            try
            {
                barrier.Wait();
            }
            catch (BrokenBarrierException)
            {
                return;
            }

            throw new InvalidOperationException("The wait passed although the default timeout should have broken the barrier.");
        }

        public static void WaitTwiceAndCheckAction(mp.Barrier barrier, string record)
        {
            for (var generation = 1; generation <= 2; generation++)
            {
                barrier.Wait(Within);
                var runs = File.ReadAllLines(record).Length;
                Check(runs == generation, $"After generation {generation} the action ran {runs} time(s) (B-07).");
            }
        }

        public static void RecordAction() =>
            File.AppendAllText(
                Environment.GetEnvironmentVariable(ActionFileVariable) ?? throw new InvalidOperationException("No action file."),
                Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + Environment.NewLine);

        public static void FailingAction() => throw new InvalidOperationException("the barrier action failed");
    }
}
