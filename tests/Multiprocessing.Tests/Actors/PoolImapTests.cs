using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary><c>Imap</c> and <c>ImapUnordered</c> on real worker processes (1.5).</summary>
[Collection("processes")]
public sealed class PoolImapTests
{
    [Fact]
    public void Imap_yields_results_in_input_order_when_later_items_finish_first()
    {
        // P-40
        using var pool = new Pool(2);

        var results = Drain(pool.Imap(TaskFunctions.SleepThenEcho, [600, 0, 300, 0]));

        Assert.Equal([600, 0, 300, 0], results);
    }

    [Fact]
    public void ImapUnordered_yields_results_in_completion_order_when_first_item_is_slowest()
    {
        // P-41
        using var pool = new Pool(2);
        WarmUp(pool);

        var iterator = pool.ImapUnordered(TaskFunctions.SleepThenEcho, [1500, 0]);

        Assert.Equal(0, iterator.Next(TestTimeout));
        Assert.Equal(1500, iterator.Next(TestTimeout));
        Assert.Throws<StopIterationException>(() => iterator.Next(TestTimeout));
    }

    [Fact]
    public void ImapUnordered_yields_every_result_exactly_once()
    {
        // P-41
        using var pool = new Pool(2);

        var results = Drain(pool.ImapUnordered(TaskFunctions.Square, Enumerable.Range(0, 200)));

        Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x), results.Order());
    }

    [Fact]
    public void Next_raises_MultiprocessingTimeoutException_when_result_is_late_and_iterator_stays_usable()
    {
        // P-42
        using var pool = new Pool(1);
        var iterator = pool.Imap(TaskFunctions.SleepThenEcho, [1500, 5]);

        var ex = Assert.Throws<MultiprocessingTimeoutException>(() => iterator.Next(TimeSpan.FromMilliseconds(100)));

        Assert.IsAssignableFrom<TimeoutException>(ex);
        Assert.Equal(1500, iterator.Next(TestTimeout));
        Assert.Equal(5, iterator.Next(TestTimeout));
        Assert.Throws<StopIterationException>(() => iterator.Next(TestTimeout));
        Assert.Throws<StopIterationException>(() => iterator.Next(TestTimeout));
    }

    [Fact]
    public void Imap_flattens_chunks_in_input_order_when_chunksize_is_above_one()
    {
        // P-43
        using var pool = new Pool(2);

        var ordered = Drain(pool.Imap(TaskFunctions.Square, Enumerable.Range(0, 10), chunksize: 3));
        var unordered = Drain(pool.ImapUnordered(TaskFunctions.Square, Enumerable.Range(0, 10), chunksize: 4));

        Assert.Equal(Enumerable.Range(0, 10).Select(x => x * x), ordered);
        Assert.Equal(Enumerable.Range(0, 10).Select(x => x * x), unordered.Order());
    }

    [Fact]
    public void Imap_groups_items_into_tasks_of_chunksize()
    {
        // P-43, P-60: with maxTasksPerChild = 1 each chunk runs in its own process, so chunk boundaries are visible
        using var pool = new Pool(1, maxTasksPerChild: 1);

        var results = Drain(pool.Imap(TaskFunctions.SquareWithPid, Enumerable.Range(0, 5), chunksize: 2));

        Assert.Equal([0, 1, 4, 9, 16], results.Select(r => r.X));
        var pids = results.Select(r => r.Pid).ToArray();
        Assert.Equal(pids[0], pids[1]);
        Assert.Equal(pids[2], pids[3]);
        Assert.Equal(3, pids.Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Imap_throws_ArgumentOutOfRangeException_when_chunksize_is_below_one(int chunksize)
    {
        // P-44
        using var pool = new Pool(1);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Imap(TaskFunctions.Square, [1, 2], chunksize));
        Assert.Contains($"Chunksize must be 1+, not {chunksize}", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.ImapUnordered(TaskFunctions.Square, [1, 2], chunksize));
    }

    [Fact]
    public void Next_raises_the_task_exception_at_its_position_and_iteration_continues_after_it()
    {
        // P-45
        using var pool = new Pool(2);
        var iterator = pool.Imap(TaskFunctions.SquareUnlessThree, Enumerable.Range(0, 6));

        Assert.Equal(0, iterator.Next(TestTimeout));
        Assert.Equal(1, iterator.Next(TestTimeout));
        Assert.Equal(4, iterator.Next(TestTimeout));
        var ex = Assert.Throws<ArgumentException>(() => iterator.Next(TestTimeout));
        Assert.Equal("bad item 3", ex.Message);
        Assert.Contains(nameof(TaskFunctions.SquareUnlessThree), Assert.IsType<string>(ex.Data["RemoteStackTrace"]), StringComparison.Ordinal);
        Assert.Equal(16, iterator.Next(TestTimeout));
        Assert.Equal(25, iterator.Next(TestTimeout));
        Assert.Throws<StopIterationException>(() => iterator.Next(TestTimeout));
    }

    [Fact]
    public void Next_raises_the_input_exception_after_the_earlier_results_when_the_input_fails()
    {
        // P-46, AR-06: the input's own exception comes back as itself (no remote stack)
        using var pool = new Pool(2);
        var iterator = pool.Imap(TaskFunctions.Square, FailingAt(3));

        Assert.Equal(0, iterator.Next(TestTimeout));
        Assert.Equal(1, iterator.Next(TestTimeout));
        Assert.Equal(4, iterator.Next(TestTimeout));
        var ex = Assert.Throws<InvalidDataException>(() => iterator.Next(TestTimeout));
        Assert.Equal("input failed at 3", ex.Message);
        Assert.Null(ex.Data["RemoteStackTrace"]);
        Assert.Throws<StopIterationException>(() => iterator.Next(TestTimeout));
    }

    [Fact]
    public void Next_loses_the_partial_chunk_and_raises_the_input_exception_when_input_fails_inside_a_chunk()
    {
        // P-46: chunks of 2 are [0,1] [2,(3 fails)]: item 2 is lost with its chunk
        using var pool = new Pool(2);
        var iterator = pool.Imap(TaskFunctions.Square, FailingAt(3), chunksize: 2);

        Assert.Equal(0, iterator.Next(TestTimeout));
        Assert.Equal(1, iterator.Next(TestTimeout));
        Assert.Throws<InvalidDataException>(() => iterator.Next(TestTimeout));
        Assert.Throws<StopIterationException>(() => iterator.Next(TestTimeout));
    }

    [Fact]
    public void Next_raises_the_input_exception_first_when_the_input_fails_on_its_first_item()
    {
        // P-46
        using var pool = new Pool(1);

        var ordered = pool.Imap(TaskFunctions.Square, FailingAt(0));
        var unordered = pool.ImapUnordered(TaskFunctions.Square, FailingAt(0));

        Assert.Throws<InvalidDataException>(() => ordered.Next(TestTimeout));
        Assert.Throws<StopIterationException>(() => ordered.Next(TestTimeout));
        Assert.Throws<InvalidDataException>(() => unordered.Next(TestTimeout));
    }

    [Fact]
    public void Next_raises_TaskSerializationException_at_the_position_of_an_item_that_cannot_be_serialized()
    {
        // P-71: that item's task fails; the others run
        using var pool = new Pool(1);
        FragileValue[] items = [new() { Seed = 1 }, new() { Seed = -2 }, new() { Seed = 3 }];

        var iterator = pool.Imap(TaskFunctions.ValueOf, items);

        Assert.Equal(10, iterator.Next(TestTimeout));
        var ex = Assert.Throws<TaskSerializationException>(() => iterator.Next(TestTimeout));
        Assert.Contains("seed -2 cannot be read", ex.Message, StringComparison.Ordinal);
        Assert.Equal(30, iterator.Next(TestTimeout));
        Assert.Throws<StopIterationException>(() => iterator.Next(TestTimeout));
    }

    [Fact]
    public void Imap_reads_its_input_lazily_within_a_bounded_window_and_reads_on_as_results_are_consumed()
    {
        // P-47 target: Python reads the whole input at once; here at most imap-buffer-per-worker (64) chunks per
        // worker are read ahead of the consumer.
        using var pool = new Pool(1);
        var read = 0;
        IEnumerable<int> Endless()
        {
            for (var i = 0; ; i++)
            {
                Interlocked.Increment(ref read);
                yield return i;
            }
        }

        var iterator = pool.Imap(TaskFunctions.Square, Endless());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i * i, iterator.Next(TestTimeout));
        }

        // Give an eager reader time to run away; a bounded one stays put.
        Thread.Sleep(500);
        var afterFive = Volatile.Read(ref read);
        Assert.InRange(afterFive, 5, 64 + 5 + 1);

        for (var i = 5; i < 300; i++)
        {
            Assert.Equal(i * i, iterator.Next(TestTimeout));
        }

        Assert.InRange(Volatile.Read(ref read), 300, 300 + 64 + 1);
    }

    [Fact]
    public void Imap_yields_nothing_when_input_is_empty()
    {
        // P-48
        using var pool = new Pool(1);

        Assert.Throws<StopIterationException>(() => pool.Imap(TaskFunctions.Square, Array.Empty<int>()).Next(TestTimeout));
        Assert.Empty(Drain(pool.ImapUnordered(TaskFunctions.Square, Array.Empty<int>(), chunksize: 3)));
    }

    [Fact]
    public async Task Imap_supports_await_foreach_in_input_order()
    {
        // P-40 (async enumeration)
        await using var pool = new Pool(2);
        using var cancel = new CancellationTokenSource(TestTimeout);
        var results = new List<int>();

        await foreach (var value in pool.Imap(TaskFunctions.Square, Enumerable.Range(0, 20)).WithCancellation(cancel.Token))
        {
            results.Add(value);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(x => x * x), results);
    }

    [Fact]
    public async Task NextAsync_raises_MultiprocessingTimeoutException_then_returns_the_value()
    {
        // P-42 (awaitable form)
        await using var pool = new Pool(1);
        var iterator = pool.Imap(TaskFunctions.SleepThenEcho, [1000]);

        await Assert.ThrowsAsync<MultiprocessingTimeoutException>(() => iterator.NextAsync(TimeSpan.FromMilliseconds(50)));

        Assert.Equal(1000, await iterator.NextAsync(TestTimeout));
        await Assert.ThrowsAsync<StopIterationException>(() => iterator.NextAsync(TestTimeout));
    }

    private static IEnumerable<int> FailingAt(int position)
    {
        for (var i = 0; i < position; i++)
        {
            yield return i;
        }

        throw new InvalidDataException($"input failed at {position}");
    }
}
