using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary><c>Map</c>, <c>MapAsync</c>, <c>StarMap</c> and <c>StarMapAsync</c> on real worker processes (1.4).</summary>
[Collection("processes")]
public sealed class PoolMapTests
{
    [Fact]
    public void Map_returns_results_in_input_order_computed_in_worker_processes()
    {
        // P-30
        using var pool = new Pool(2);

        var results = Bounded(() => pool.Map(TaskFunctions.SquareWithPid, Enumerable.Range(0, 100)));

        Assert.Equal(Enumerable.Range(0, 100).Select(x => x * x), results.Select(r => r.X));
        Assert.DoesNotContain(Environment.ProcessId, results.Select(r => r.Pid));
    }

    [Fact]
    public void Map_returns_correct_results_when_input_is_large()
    {
        // P-30, P-32
        using var pool = new Pool(2);

        var results = pool.MapAsync(TaskFunctions.Square, Enumerable.Range(0, 20_000)).Get(TestTimeout);

        Assert.Equal(20_000, results.Count);
        Assert.Equal(Enumerable.Range(0, 20_000).Select(x => x * x), results);
    }

    [Fact]
    public void Map_runs_a_capture_free_lambda_in_a_worker_process()
    {
        // P-30, pain point 7: a lambda that captures nothing is sent by name
        using var pool = new Pool(1);

        var pids = Bounded(() => pool.Map(static _ => Environment.ProcessId, [1, 2, 3]));
        var tripled = Bounded(() => pool.Map(x => x * 3, [1, 2, 3]));

        Assert.Single(pids.Distinct());
        Assert.NotEqual(Environment.ProcessId, pids[0]);
        Assert.Equal([3, 6, 9], tripled);
    }

    [Fact]
    public void Map_spreads_chunks_over_idle_workers_when_every_worker_is_ready()
    {
        // P-30, P-33: each chunk is a task any idle worker takes; two slow chunks on two idle workers run in both.
        using var pool = new Pool(2);
        var workers = WarmUp(pool);

        var pids = pool.MapAsync(TaskFunctions.SleepThenPid, [300, 300], chunksize: 1).Get(TestTimeout);

        Assert.Equal(workers.Order(), pids.Order());
    }

    [Fact]
    public void Map_cuts_default_chunks_of_ceil_n_over_four_times_workers()
    {
        // P-32: n = 5 on one worker gives chunksize ceil(5 / 4) = 2, so chunks [0,1] [2,3] [4]. With
        // maxTasksPerChild = 1 every chunk (one task, P-60) runs in a process of its own, which makes chunks visible.
        using var pool = new Pool(1, maxTasksPerChild: 1);

        var results = pool.MapAsync(TaskFunctions.SquareWithPid, Enumerable.Range(0, 5)).Get(TestTimeout);

        Assert.Equal([0, 1, 4, 9, 16], results.Select(r => r.X));
        Assert.Equal([2, 2, 1], RunLengths(results.Select(r => r.Pid)));
        Assert.Equal(3, results.Select(r => r.Pid).Distinct().Count());
    }

    [Fact]
    public void Map_honours_an_explicit_chunksize()
    {
        // P-38: 7 items with chunksize 3 are 3 tasks [0,1,2] [3,4,5] [6]
        using var pool = new Pool(1, maxTasksPerChild: 1);

        var results = pool.MapAsync(TaskFunctions.SquareWithPid, Enumerable.Range(0, 7), chunksize: 3).Get(TestTimeout);

        Assert.Equal(Enumerable.Range(0, 7).Select(x => x * x), results.Select(r => r.X));
        Assert.Equal([3, 3, 1], RunLengths(results.Select(r => r.Pid)));
    }

    [Fact]
    public void Map_returns_an_empty_list_at_once_when_input_is_empty()
    {
        // P-32, P-48
        using var pool = new Pool(1);

        Assert.Empty(Bounded(() => pool.Map(TaskFunctions.Square, Array.Empty<int>())));
        var pending = pool.MapAsync(TaskFunctions.Square, Array.Empty<int>(), chunksize: 1);
        Assert.True(pending.Ready);
        Assert.Empty(pending.Get(TestTimeout));
        Assert.Empty(pool.StarMapAsync(TaskFunctions.Add, Array.Empty<(int, int)>()).Get(TestTimeout));
    }

    [Fact]
    public void MapAsync_reads_a_lazy_input_in_full_before_returning()
    {
        // P-31
        using var pool = new Pool(1);
        var read = 0;
        IEnumerable<int> Items()
        {
            for (var i = 0; i < 10; i++)
            {
                read++;
                yield return i;
            }
        }

        var pending = pool.MapAsync(TaskFunctions.Square, Items());

        Assert.Equal(10, read);
        Assert.Equal(Enumerable.Range(0, 10).Select(x => x * x), pending.Get(TestTimeout));
    }

    [Fact]
    public void Map_raises_the_input_exception_at_the_call_when_reading_the_input_fails()
    {
        // P-37
        using var pool = new Pool(1);
        static IEnumerable<int> Failing()
        {
            yield return 1;
            yield return 2;
            throw new InvalidDataException("input broke at 2");
        }

        var ex = Assert.Throws<InvalidDataException>(() => pool.MapAsync(TaskFunctions.Square, Failing()));

        Assert.Equal("input broke at 2", ex.Message);
        Assert.Equal([1, 4], pool.MapAsync(TaskFunctions.Square, [1, 2]).Get(TestTimeout));
    }

    [Fact]
    public void Map_raises_the_task_exception_type_and_message_when_an_item_raises()
    {
        // P-34, AR-06
        using var pool = new Pool(2);

        var ex = Assert.Throws<ArgumentException>(() => Bounded(() => pool.Map(TaskFunctions.SquareUnlessThree, Enumerable.Range(0, 6))));

        Assert.Equal("bad item 3", ex.Message);
        Assert.Contains(nameof(TaskFunctions.SquareUnlessThree), Assert.IsType<string>(ex.Data["RemoteStackTrace"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Map_skips_the_rest_of_a_failed_chunk_but_waits_for_every_other_chunk_before_raising()
    {
        // P-33, P-35: chunk [0,1,2] stops at item 1 (item 2 never runs); chunk [3,4,5] still runs before Map raises.
        using var pool = new Pool(1);
        var directory = NewTempDirectory();
        try
        {
            var items = Enumerable.Range(0, 6).Select(x => (x, directory));

            var ex = Assert.Throws<InvalidDataException>(() => Bounded(() => pool.StarMap(TaskFunctions.MarkUnlessOne, items, chunksize: 3)));

            Assert.Equal("item 1 fails", ex.Message);
            var marked = Directory.GetFiles(directory).Select(f => Path.GetFileName(f)!).Order().ToArray();
            Assert.Equal(["0", "3", "4", "5"], marked);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void StarMap_raises_a_large_task_exception_and_Close_Join_do_not_deadlock_afterwards()
    {
        // P-35, P-56 (test_map_no_failfast): a 1 MB exception message, a slower sibling task, then close + join
        using var pool = new Pool(2);

        var ex = Assert.Throws<InvalidOperationException>(
            () => Bounded(() => pool.StarMap(TaskFunctions.SleepThenRaiseLarge, [(0, 1 << 20), (500, 1 << 20)], chunksize: 1)));

        Assert.Equal(1 << 20, ex.Message.Length);
        pool.Close();
        Assert.True(JoinWithin(pool, TestTimeout));
    }

    [Fact]
    public void MapAsync_calls_error_callback_once_with_the_first_failure_and_never_the_callback()
    {
        // P-34, P-35
        using var pool = new Pool(1);
        var errors = new List<Exception>();
        var successes = 0;

        var pending = pool.MapAsync(
            TaskFunctions.FailOddItems,
            Enumerable.Range(0, 6),
            chunksize: 1,
            callback: _ => successes++,
            errorCallback: errors.Add);

        var ex = Assert.Throws<FormatException>(() => pending.Get(TestTimeout));
        Assert.Equal("odd item 1", ex.Message);
        Assert.Same(ex, Assert.Single(errors));
        Assert.Equal(0, successes);
        Assert.False(pending.Successful());
    }

    [Fact]
    public void MapAsync_calls_callback_with_the_whole_list_when_every_item_succeeds()
    {
        // P-30
        using var pool = new Pool(2);
        IReadOnlyList<int>? received = null;

        var pending = pool.MapAsync(TaskFunctions.Square, Enumerable.Range(0, 10), callback: list => received = list);

        var results = pending.Get(TestTimeout);
        Assert.Same(results, received);
        Assert.Equal(Enumerable.Range(0, 10).Select(x => x * x), results);
    }

    [Fact]
    public void StarMap_passes_each_tuple_as_the_arguments_when_function_takes_two_or_three_arguments()
    {
        // P-36
        using var pool = new Pool(2);

        Assert.Equal([3, 7, 11], Bounded(() => pool.StarMap(TaskFunctions.Add, [(1, 2), (3, 4), (5, 6)])));
        Assert.Equal([6, 15], Bounded(() => pool.StarMap(TaskFunctions.Add3, [(1, 2, 3), (4, 5, 6)], chunksize: 1)));

        IReadOnlyList<int>? received = null;
        var pending = pool.StarMapAsync(TaskFunctions.Add, [(10, 1), (20, 2)], callback: r => received = r);
        Assert.Equal([11, 22], pending.Get(TestTimeout));
        Assert.Equal([11, 22], received);
    }

    [Fact]
    public void Map_throws_ArgumentException_naming_the_captured_variable_when_lambda_captures()
    {
        // P-70, pain point 7
        using var pool = new Pool(1);
        var offset = 10;

        var ex = Assert.Throws<ArgumentException>(() => pool.Map(x => x + offset, [1, 2, 3]));

        Assert.Contains("'offset'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("func", ex.ParamName);
        Assert.Equal([11, 12], pool.MapAsync(static x => x + 10, [1, 2]).Get(TestTimeout));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Map_throws_ArgumentOutOfRangeException_when_chunksize_is_below_one(int chunksize)
    {
        // P-44
        using var pool = new Pool(1);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Map(TaskFunctions.Square, [1, 2], chunksize));
        Assert.Contains($"Chunksize must be 1+, not {chunksize}", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.MapAsync(TaskFunctions.Square, [1, 2], chunksize));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.StarMapAsync(TaskFunctions.Add, [(1, 2)], chunksize));
    }

    [Fact]
    public void Map_throws_TaskSerializationException_naming_the_item_position_when_an_item_cannot_be_serialized()
    {
        // P-71, pain point 7
        using var pool = new Pool(1);
        FragileValue[] items = [new() { Seed = 1 }, new() { Seed = 2 }, new() { Seed = -3 }];

        var ex = Assert.Throws<TaskSerializationException>(() => pool.MapAsync(TaskFunctions.ValueOf, items));

        Assert.Contains("Argument 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("seed -3 cannot be read", ex.Message, StringComparison.Ordinal);
        Assert.Equal([10, 20], pool.MapAsync(TaskFunctions.ValueOf, items[..2]).Get(TestTimeout));
    }

    private static List<int> RunLengths(IEnumerable<int> values)
    {
        var lengths = new List<int>();
        int? last = null;
        foreach (var value in values)
        {
            if (value == last)
            {
                lengths[^1]++;
            }
            else
            {
                lengths.Add(1);
                last = value;
            }
        }

        return lengths;
    }
}
