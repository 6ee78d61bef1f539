using System.Diagnostics;
using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="Multiprocessing.Queue{T}"/>, <see cref="JoinableQueue{T}"/> and <see cref="SimpleQueue{T}"/> across real
/// OS processes: <see cref="Process"/> children and <see cref="Pool"/> tasks get the queues as arguments. Every wait is
/// bounded. Spec ids refer to /work/shared/spec/python-semantics.md (§1.0, §1.9 Q-, §1.10 JQ-/SQ-, §2.2, pain points 8,
/// 9, 10 and 22).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class QueueTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    /// <summary>Lower bound of a timed wait: the queue's timer starts after the call was sent, so only scheduler slack.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(50);

    private readonly ChildProcesses _children = new();

    public void Dispose() => _children.Dispose();

    // ----- items from other processes, FIFO per producer (Q-05) -----

    [Fact]
    public void Get_returns_the_items_a_child_process_put_in_its_order_Q05()
    {
        var queue = new Multiprocessing.Queue<int>();

        var child = StartChild(Targets.PutRange, queue, 100, 50);

        var items = Enumerable.Range(0, 50).Select(_ => queue.Get(timeout: TestTimeout)).ToList();
        Assert.Equal(Enumerable.Range(100, 50), items);
        AssertFinished(child);
    }

    [Fact]
    public void Get_keeps_each_producers_order_when_three_processes_put_at_once_Q05()
    {
        const int perProducer = 200;
        var queue = new Multiprocessing.Queue<(int Producer, int Seq)>();

        var children = Enumerable.Range(0, 3).Select(p => StartChild(Targets.PutTagged, queue, p, perProducer)).ToList();

        var items = Enumerable.Range(0, 3 * perProducer).Select(_ => queue.Get(timeout: TestTimeout)).ToList();
        foreach (var producer in items.GroupBy(i => i.Producer))
        {
            Assert.Equal(Enumerable.Range(0, perProducer), producer.Select(i => i.Seq));
        }

        Assert.Equal([0, 1, 2], items.Select(i => i.Producer).Distinct().Order());
        Assert.True(queue.Empty());
        children.ForEach(AssertFinished);
    }

    [Fact]
    public void Put_returns_once_the_queue_holds_the_item_so_a_child_exits_before_anyone_reads_Q12()
    {
        // Q-12 / pain point 9: in Python the child stays alive until the parent reads its 1 MB.
        const int size = 1_000_000;
        var queue = new Multiprocessing.Queue<byte[]>();

        var child = StartChild(Targets.PutBlobs, queue, size, 3);
        child.Join(TestTimeout);

        Assert.Equal(0, child.ExitCode);
        Assert.Equal(3, queue.Qsize());
        for (var i = 0; i < 3; i++)
        {
            var blob = queue.Get(timeout: TestTimeout);
            Assert.Equal(size, blob.Length);
            Assert.Equal((byte)i, blob[0]);
            Assert.Equal((byte)(size - 1 + i), blob[^1]);
        }
    }

    // ----- size (Q-07, pain point 22) -----

    [Fact]
    public void Qsize_Empty_and_Full_are_exact_right_after_a_child_put_items_pain_point_22()
    {
        var queue = new Multiprocessing.Queue<int>(maxsize: 3);

        AssertFinished(StartChild(Targets.PutRange, queue, 0, 3));

        Assert.Equal(3, queue.Qsize());
        Assert.True(queue.Full());
        Assert.False(queue.Empty());
        Assert.Equal(0, queue.Get(timeout: TestTimeout));
        Assert.Equal(2, queue.Qsize());
        Assert.False(queue.Full());
        queue.Get(timeout: TestTimeout);
        queue.Get(timeout: TestTimeout);
        Assert.Equal(0, queue.Qsize());
        Assert.True(queue.Empty());
    }

    [Fact]
    public void Qsize_tracks_puts_and_gets_at_once_without_the_Python_feeder_delay_Q06_Q07()
    {
        var queue = new Multiprocessing.Queue<int>();

        Assert.Equal(0, queue.Qsize());
        queue.Put(1);
        Assert.Equal(1, queue.Qsize());
        Assert.False(queue.Empty());
        queue.Put(2);
        Assert.Equal(2, queue.Qsize());
        Assert.Equal(1, queue.GetNowait());
        Assert.Equal(1, queue.Qsize());
        Assert.Equal(2, queue.GetNowait());
        Assert.Equal(0, queue.Qsize());
        Assert.True(queue.Empty());
        Assert.False(queue.Full());
    }

    // ----- Put on a full queue (Q-02, Q-04, §2.2 test_put) -----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_fills_a_bounded_queue_with_every_call_form_and_Full_reports_it_Q02_Q04(bool async)
    {
        var queue = new Multiprocessing.Queue<int>(maxsize: 6);

        queue.Put(1);
        queue.Put(2, true);
        queue.Put(3, true, null);
        queue.Put(4, false);
        queue.PutNowait(5);
        await PutAsync(queue, 6, true, TestTimeout, async);

        Assert.True(queue.Full());
        Assert.False(queue.Empty());
        Assert.Equal(6, queue.Qsize());
        var report = new Multiprocessing.Queue<int>();
        AssertFinished(StartChild(Targets.Drain, queue, report, 6));
        Assert.True(queue.Empty());
        Assert.Equal(Enumerable.Range(1, 6), Enumerable.Range(0, 6).Select(_ => report.Get(timeout: TestTimeout)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_raises_QueueFullException_when_a_full_queue_may_not_wait_Q02_Q04(bool async)
    {
        var queue = new Multiprocessing.Queue<int>(maxsize: 2);
        queue.Put(1);
        queue.Put(2);

        Assert.Throws<QueueFullException>(() => queue.PutNowait(3));
        await Assert.ThrowsAsync<QueueFullException>(() => PutAsync(queue, 3, false, null, async));
        await Assert.ThrowsAsync<QueueFullException>(() => PutAsync(queue, 3, false, TestTimeout, async)); // timeout ignored
        await Assert.ThrowsAsync<QueueFullException>(() => PutAsync(queue, 3, true, TimeSpan.Zero, async));
        await Assert.ThrowsAsync<QueueFullException>(() => PutAsync(queue, 3, true, TimeSpan.FromSeconds(-1), async));

        Assert.Equal(2, queue.Qsize());
        Assert.Equal(1, queue.GetNowait());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_raises_QueueFullException_after_the_timeout_when_the_queue_stays_full_Q02(bool async)
    {
        var queue = new Multiprocessing.Queue<int>(maxsize: 1);
        queue.Put(1);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<QueueFullException>(() => PutAsync(queue, 2, true, Short, async));

        Assert.True(watch.Elapsed >= Short - Slack, $"Put gave up after {watch.Elapsed}, before its timeout {Short}.");
        Assert.Contains("Q-02", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, queue.Qsize());
        Assert.Equal(1, queue.GetNowait());
        Assert.True(queue.Empty());
    }

    [Fact]
    public async Task Put_waits_on_a_full_queue_until_a_child_takes_an_item_Q02()
    {
        var queue = new Multiprocessing.Queue<int>(maxsize: 1);
        var report = new Multiprocessing.Queue<int>();
        queue.Put(1);
        var put = queue.PutAsync(2);
        await Task.Delay(Short);
        Assert.False(put.IsCompleted);

        var child = StartChild(Targets.Drain, queue, report, 2);

        await put.WaitAsync(TestTimeout);
        AssertFinished(child);
        Assert.Equal(1, report.Get(timeout: TestTimeout));
        Assert.Equal(2, report.Get(timeout: TestTimeout));
    }

    // ----- Get on an empty queue (Q-03, Q-04, §2.2 test_get) -----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_raises_QueueEmptyException_when_an_empty_queue_may_not_wait_Q03_Q04(bool async)
    {
        var queue = new Multiprocessing.Queue<int>();

        Assert.Throws<QueueEmptyException>(() => queue.GetNowait());
        await Assert.ThrowsAsync<QueueEmptyException>(() => GetAsync(queue, false, null, async));
        await Assert.ThrowsAsync<QueueEmptyException>(() => GetAsync(queue, false, TestTimeout, async)); // timeout ignored
        await Assert.ThrowsAsync<QueueEmptyException>(() => GetAsync(queue, true, TimeSpan.Zero, async));
        await Assert.ThrowsAsync<QueueEmptyException>(() => GetAsync(queue, true, TimeSpan.FromSeconds(-1), async));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_raises_QueueEmptyException_not_TimeoutException_after_the_timeout_when_the_queue_stays_empty_Q03(bool async)
    {
        var queue = new Multiprocessing.Queue<int>();
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<QueueEmptyException>(() => GetAsync(queue, true, Short, async));

        Assert.True(watch.Elapsed >= Short - Slack, $"Get gave up after {watch.Elapsed}, before its timeout {Short}.");
        Assert.IsNotType<TimeoutException>(error);
        queue.Put(7);
        Assert.Equal(7, queue.Get(timeout: TestTimeout)); // the timed-out get took nothing later
    }

    [Fact]
    public void Get_and_Put_in_a_child_raise_QueueEmptyException_and_QueueFullException_after_their_timeouts_Q02_Q03()
    {
        var empty = new Multiprocessing.Queue<int>();
        var full = new Multiprocessing.Queue<int>(maxsize: 1);
        full.Put(1);
        var report = new Multiprocessing.Queue<string>();

        var child = StartChild(Targets.ReportTimeouts, empty, full, report);

        Assert.Equal(nameof(QueueEmptyException), report.Get(timeout: TestTimeout));
        Assert.Equal(nameof(QueueFullException), report.Get(timeout: TestTimeout));
        AssertFinished(child);
        Assert.Equal(1, full.Qsize());
    }

    [Fact]
    public async Task GetAsync_cancelled_while_waiting_throws_OperationCanceledException_and_loses_no_item()
    {
        var queue = new Multiprocessing.Queue<int>();
        using var cancel = new CancellationTokenSource(Short);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.GetAsync(cancellationToken: cancel.Token).WaitAsync(TestTimeout));

        queue.Put(5);
        Assert.Equal(1, queue.Qsize());
        Assert.Equal(5, queue.Get(timeout: TestTimeout));
    }

    // ----- serialization in the caller (Q-08 target, pain point 8, SQ-02) -----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_throws_TaskSerializationException_at_the_call_for_an_unserializable_item_Q08(bool async)
    {
        var queue = new Multiprocessing.Queue<Func<int>>();

        var error = await Assert.ThrowsAsync<TaskSerializationException>(() => PutAsync(queue, () => 1, true, null, async));

        Assert.Contains("item put on the queue", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, queue.Qsize());
    }

    [Fact]
    public void Put_after_a_failed_serialization_still_delivers_and_counts_right_Q08()
    {
        // §2.2 test_queue_feeder_donot_stop_onexc: with maxsize 1, the failed put takes no slot.
        var queue = new Multiprocessing.Queue<object>(maxsize: 1);

        using var stream = new MemoryStream();
        var error = Assert.Throws<TaskSerializationException>(() => queue.Put(new Unreadable { Content = stream }));
        queue.Put(true);

        Assert.Contains(nameof(Unreadable), error.Message, StringComparison.Ordinal);
        Assert.Equal(1, queue.Qsize());
        Assert.Equal(true, queue.Get(timeout: TestTimeout));
        Assert.True(queue.Empty());
    }

    [Fact]
    public void Put_throws_TaskSerializationException_at_the_call_for_an_item_larger_than_one_message_between_processes()
    {
        // Akka.Remote drops a frame above maximum-frame-size (32 MiB here): the put would otherwise never be answered.
        var queue = new Multiprocessing.Queue<byte[]>();

        var error = Assert.Throws<TaskSerializationException>(() => queue.Put(new byte[40_000_000]));

        Assert.Contains("maximum-frame-size", error.Message, StringComparison.Ordinal);
        Assert.True(queue.Empty());
    }

    [Fact]
    public void SimpleQueue_Put_throws_TaskSerializationException_at_the_call_SQ02()
    {
        var queue = new SimpleQueue<Func<int>>();

        Assert.Throws<TaskSerializationException>(() => queue.Put(() => 1));
        Assert.True(queue.Empty());
    }

    // ----- close (Q-09, Q-10, Q-11, SQ-03) -----

    [Fact]
    public async Task Put_and_Get_throw_InvalidOperationException_after_Close_Q09()
    {
        var queue = new Multiprocessing.Queue<int>();
        queue.Put(1);

        queue.Close();

        Assert.Contains("is closed", Assert.Throws<InvalidOperationException>(() => queue.Put(2)).Message, StringComparison.Ordinal);
        Assert.Contains("is closed", Assert.Throws<InvalidOperationException>(() => queue.Get()).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => queue.PutNowait(2));
        Assert.Throws<InvalidOperationException>(() => queue.GetNowait());
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.PutAsync(2));
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.GetAsync());
        Assert.Equal(1, queue.Qsize()); // the item put before Close stays
    }

    [Fact]
    public void JoinableQueue_Put_and_Get_throw_InvalidOperationException_after_Close_Q09()
    {
        var queue = new JoinableQueue<int>();

        queue.Close();

        Assert.Contains("is closed", Assert.Throws<InvalidOperationException>(() => queue.Put(1)).Message, StringComparison.Ordinal);
        Assert.Contains("is closed", Assert.Throws<InvalidOperationException>(() => queue.Get()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JoinThread_throws_InvalidOperationException_before_Close_and_returns_after_it_Q10_Q11()
    {
        var queue = new Multiprocessing.Queue<int>();
        queue.Put(1);

        Assert.Contains("not closed", Assert.Throws<InvalidOperationException>(queue.JoinThread).Message, StringComparison.Ordinal);
        queue.CancelJoinThread();
        queue.Close();
        queue.Close();
        queue.JoinThread();
    }

    [Fact]
    public void SimpleQueue_Close_twice_is_allowed_and_Put_and_Get_then_throw_InvalidOperationException_SQ03()
    {
        var queue = new SimpleQueue<int>();

        queue.Close();
        queue.Close();

        Assert.Throws<InvalidOperationException>(() => queue.Put(1));
        Assert.Throws<InvalidOperationException>(() => queue.Get());
    }

    // ----- JoinableQueue (JQ-01..JQ-03, §2.2 test_task_done) -----

    [Fact]
    public void TaskDone_throws_InvalidOperationException_when_called_more_times_than_items_put_JQ02()
    {
        var queue = new JoinableQueue<int>();

        var fresh = Assert.Throws<InvalidOperationException>(queue.TaskDone);
        queue.Put(1);
        queue.Get(timeout: TestTimeout);
        queue.TaskDone();
        var again = Assert.Throws<InvalidOperationException>(queue.TaskDone);

        Assert.Contains("task_done() called too many times", fresh.Message, StringComparison.Ordinal);
        Assert.Contains("task_done() called too many times", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_returns_true_at_once_when_nothing_was_put_JQ03()
    {
        var queue = new JoinableQueue<int>();

        Assert.True(queue.Join());
        Assert.True(await queue.JoinAsync(TimeSpan.Zero).WaitAsync(TestTimeout));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Join_returns_after_worker_processes_mark_every_item_done_JQ01_JQ03(bool async)
    {
        var queue = new JoinableQueue<int>();
        for (var i = 0; i < 10; i++)
        {
            queue.Put(i);
        }

        Assert.False(queue.Join(Short)); // nothing processed yet
        var workers = Enumerable.Range(0, 2).Select(_ => StartChild(Targets.Work, queue)).ToList();

        var joined = async ? await queue.JoinAsync(TestTimeout).WaitAsync(TestTimeout * 2) : queue.Join(TestTimeout);

        Assert.True(joined);
        Assert.True(queue.Empty());
        queue.Put(-1);
        queue.Put(-1);
        workers.ForEach(AssertFinished);
        Assert.True(queue.Join(TestTimeout));
    }

    // ----- SimpleQueue across processes (SQ-01) -----

    [Fact]
    public async Task SimpleQueue_carries_a_childs_items_in_order_and_Empty_is_exact_SQ01()
    {
        var queue = new SimpleQueue<string>();
        Assert.True(queue.Empty());

        var child = StartChild(Targets.PutWords, queue, 3);

        Assert.Equal("word-0", await queue.GetAsync().WaitAsync(TestTimeout));
        Assert.Equal("word-1", await queue.GetAsync().WaitAsync(TestTimeout));
        Assert.Equal("word-2", await queue.GetAsync().WaitAsync(TestTimeout));
        AssertFinished(child);
        Assert.True(queue.Empty());
    }

    // ----- Pool tasks (Q-13 target) -----

    [Fact]
    public void Queue_passed_to_a_Pool_task_carries_items_both_ways_Q13_target()
    {
        // Python refuses a Queue as a Pool task argument; here it travels like any proxy.
        using var pool = new Pool(2);
        var results = new Multiprocessing.Queue<int>();
        var inputs = new Multiprocessing.Queue<int>();
        inputs.Put(5);

        Bounded(() => pool.Apply(Targets.PutSquare, results, 7));
        var taken = Bounded(() => pool.Apply(Targets.TakeOne, inputs));

        Assert.Equal(49, results.Get(timeout: TestTimeout));
        Assert.Equal(5, taken);
        Assert.True(inputs.Empty());
    }

    [Fact]
    public void Queue_can_be_sent_through_another_queue_and_works_in_the_receiving_process()
    {
        var outer = new Multiprocessing.Queue<Multiprocessing.Queue<int>>();
        var inner = new Multiprocessing.Queue<int>();
        inner.Put(11);
        outer.Put(inner);
        var report = new Multiprocessing.Queue<int>();

        AssertFinished(StartChild(Targets.TakeQueueThenDrain, outer, report));

        Assert.Equal(11, report.Get(timeout: TestTimeout));
        Assert.True(inner.Empty());
    }

    // ----- processes that die (pain point 10) -----

    [Fact]
    public void Item_put_after_a_waiting_consumer_process_was_killed_is_not_lost()
    {
        var queue = new Multiprocessing.Queue<int>();
        var ready = new Multiprocessing.Queue<int>();
        var consumer = StartChild(Targets.SignalThenGet, ready, queue);
        ready.Get(timeout: TestTimeout);
        Thread.Sleep(Short); // lets the consumer's Get reach the queue; the test passes either way

        consumer.Kill();
        consumer.Join(TestTimeout);
        queue.Put(42);

        Assert.Equal(-9, consumer.ExitCode);
        Assert.Equal(42, queue.Get(timeout: TestTimeout));
        Assert.True(queue.Empty());
    }

    [Fact]
    public void Get_raises_RemoteObjectUnavailableException_when_the_process_that_created_the_queue_has_exited()
    {
        var outer = new Multiprocessing.Queue<Multiprocessing.Queue<int>>();
        var child = StartChild(Targets.CreateAndSend, outer);
        var inner = outer.Get(timeout: TestTimeout);
        AssertFinished(child);

        Assert.Throws<RemoteObjectUnavailableException>(() => inner.Get(timeout: TestTimeout));
    }

    private Process StartChild(Delegate target, params object?[] args) => _children.Start(target, args);

    private static void AssertFinished(Process process)
    {
        process.Join(TestTimeout);
        Assert.Null(process.Exception);
        Assert.Equal(0, process.ExitCode);
    }

    private static Task PutAsync<T>(Multiprocessing.Queue<T> queue, T item, bool block, TimeSpan? timeout, bool async) =>
        async
            ? queue.PutAsync(item, block, timeout).WaitAsync(TestTimeout)
            : Task.Run(() => queue.Put(item, block, timeout)).WaitAsync(TestTimeout);

    private static Task<T> GetAsync<T>(Multiprocessing.Queue<T> queue, bool block, TimeSpan? timeout, bool async) =>
        async
            ? queue.GetAsync(block, timeout).WaitAsync(TestTimeout)
            : Task.Run(() => queue.Get(block, timeout)).WaitAsync(TestTimeout);

    /// <summary>An item that cannot be serialized: it holds a stream, like a Python object holding an open file.</summary>
    public sealed class Unreadable
    {
        public Stream? Content { get; set; }
    }

    /// <summary>Targets of the child processes and pool tasks: public static methods, found there by name.</summary>
    public static class Targets
    {
        private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

        public static void PutRange(Multiprocessing.Queue<int> queue, int start, int count)
        {
            for (var i = 0; i < count; i++)
            {
                queue.Put(start + i);
            }
        }

        public static void PutTagged(Multiprocessing.Queue<(int Producer, int Seq)> queue, int producer, int count)
        {
            for (var i = 0; i < count; i++)
            {
                queue.Put((producer, i));
            }
        }

        public static void PutBlobs(Multiprocessing.Queue<byte[]> queue, int size, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var blob = new byte[size];
                for (var j = 0; j < size; j++)
                {
                    blob[j] = (byte)(j + i);
                }

                queue.Put(blob);
            }
        }

        public static void Drain(Multiprocessing.Queue<int> queue, Multiprocessing.Queue<int> report, int count)
        {
            for (var i = 0; i < count; i++)
            {
                report.Put(queue.Get(timeout: Bound));
            }
        }

        public static void ReportTimeouts(Multiprocessing.Queue<int> empty, Multiprocessing.Queue<int> full, Multiprocessing.Queue<string> report)
        {
            try
            {
                empty.Get(timeout: TimeSpan.FromMilliseconds(300));
                report.Put("no exception");
            }
            catch (Exception ex)
            {
                report.Put(ex.GetType().Name);
            }

            try
            {
                full.Put(2, timeout: TimeSpan.FromMilliseconds(300));
                report.Put("no exception");
            }
            catch (Exception ex)
            {
                report.Put(ex.GetType().Name);
            }
        }

        public static void Work(JoinableQueue<int> queue)
        {
            while (true)
            {
                var item = queue.Get(timeout: Bound);
                if (item < 0)
                {
                    queue.TaskDone();
                    return;
                }

                Thread.Sleep(20);
                queue.TaskDone();
            }
        }

        public static void PutWords(SimpleQueue<string> queue, int count)
        {
            for (var i = 0; i < count; i++)
            {
                queue.Put($"word-{i}");
            }
        }

        public static void PutSquare(Multiprocessing.Queue<int> queue, int x) => queue.Put(x * x);

        public static int TakeOne(Multiprocessing.Queue<int> queue) => queue.Get(timeout: Bound);

        public static void TakeQueueThenDrain(Multiprocessing.Queue<Multiprocessing.Queue<int>> outer, Multiprocessing.Queue<int> report)
        {
            var inner = outer.Get(timeout: Bound);
            report.Put(inner.Get(timeout: Bound));
        }

        public static void SignalThenGet(Multiprocessing.Queue<int> ready, Multiprocessing.Queue<int> queue)
        {
            ready.Put(Environment.ProcessId);
            queue.Get();
        }

        public static void CreateAndSend(Multiprocessing.Queue<Multiprocessing.Queue<int>> outer)
        {
            var inner = new Multiprocessing.Queue<int>();
            inner.Put(1);
            outer.Put(inner);
        }
    }
}
