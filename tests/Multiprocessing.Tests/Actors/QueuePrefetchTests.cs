using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Prefetch of <see cref="Multiprocessing.Queue{T}"/> gets (multiprocessing.queues.prefetch) across real OS processes:
/// batches keep FIFO order for one consumer, every item reaches exactly one consumer, a consumer that holds prefetched
/// items gives them back when another needs them, and one that is killed loses at most the item its get returned.
/// Every wait is bounded. Spec ids refer to /work/shared/spec/python-semantics.md (§1.9 Q-, pain points 10 and 22).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class QueuePrefetchTests : IDisposable
{
    private readonly ChildProcesses _children = new();
    private Manager? _manager;

    public void Dispose()
    {
        _children.Dispose();
        _manager?.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void One_producer_process_and_one_consumer_receive_every_item_in_FIFO_order_Q05(bool viaManager)
    {
        const int count = 3000;
        var queue = NewQueue(viaManager);
        var producer = _children.Start(Targets.PutRange, queue, 0, count);
        producer.Join(TestTimeout);
        Assert.Equal(0, producer.ExitCode);

        var first = queue.Get(timeout: TestTimeout);

        // Pain point 22: items prefetched by this process's get and not returned yet still count.
        Assert.Equal(count - 1, queue.Qsize());
        var rest = Enumerable.Range(1, count - 1).Select(_ => queue.Get(timeout: TestTimeout)).ToList();
        Assert.Equal(Enumerable.Range(0, count), rest.Prepend(first));
        Assert.True(queue.Empty());
        Assert.Throws<QueueEmptyException>(() => queue.GetNowait());
    }

    [Fact]
    public void Two_consumer_processes_receive_every_item_exactly_once()
    {
        const int count = 2000;
        var queue = new Multiprocessing.Queue<int>();
        var report = new Multiprocessing.Queue<int>();
        for (var i = 0; i < count; i++)
        {
            queue.Put(i);
        }

        queue.Put(-1);
        queue.Put(-1);

        var consumers = Enumerable.Range(0, 2).Select(_ => _children.Start(Targets.ReportUntilNegative, queue, report)).ToList();

        var received = Enumerable.Range(0, count).Select(_ => report.Get(timeout: TestTimeout)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, count), received);
        foreach (var consumer in consumers)
        {
            consumer.Join(TestTimeout);
            Assert.Equal(0, consumer.ExitCode);
        }

        // Both stop signs were taken, although one consumer may have prefetched both: it gave the other back.
        Assert.True(queue.Empty());
        Assert.True(report.Empty());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Items_prefetched_by_a_consumer_busy_elsewhere_are_given_back_to_another_consumer_Q03(bool viaManager)
    {
        const int count = 200;
        var queue = NewQueue(viaManager);
        var taken = new Multiprocessing.Queue<int>();
        for (var i = 0; i < count; i++)
        {
            queue.Put(i);
        }

        // The holder's get prefetches the other items, then it sleeps without another get.
        var holder = _children.Start(Targets.TakeOneThenSleep, queue, taken);
        Assert.Equal(0, taken.Get(timeout: TestTimeout));

        // Exact size and a get that may not wait, although every item sits in the holder's process (Q-03, pain point 22).
        Assert.Equal(count - 1, queue.Qsize());
        Assert.Equal(1, queue.GetNowait());
        var rest = Enumerable.Range(2, count - 2).Select(_ => queue.Get(timeout: TestTimeout)).ToList();

        Assert.Equal(Enumerable.Range(2, count - 2), rest);
        Assert.True(queue.Empty());
        Assert.True(holder.IsAlive()); // the items came back from a live process, not after its death
    }

    [Fact]
    public void Consumer_killed_while_holding_prefetched_items_loses_at_most_the_item_its_get_returned_pain_point_10()
    {
        const int count = 200;
        var queue = new Multiprocessing.Queue<int>();
        var taken = new Multiprocessing.Queue<int>();
        for (var i = 0; i < count; i++)
        {
            queue.Put(i);
        }

        var victim = _children.Start(Targets.TakeOneThenSleep, queue, taken);
        var held = taken.Get(timeout: TestTimeout);
        victim.Kill();
        victim.Join(TestTimeout);

        // This get waits until the queue notices the death; the victim's prefetched items then go back to its head.
        var received = Enumerable.Range(0, count - 1).Select(_ => queue.Get(timeout: TestTimeout)).ToList();

        Assert.Equal(-9, victim.ExitCode);
        Assert.Equal(0, held);
        Assert.Equal(Enumerable.Range(1, count - 1), received);
        Assert.True(queue.Empty());
    }

    /// <summary>A queue in this process, or one served by a manager process (M-49): the same queue actor serves both.</summary>
    private Multiprocessing.Queue<int> NewQueue(bool viaManager)
    {
        if (!viaManager)
        {
            return new Multiprocessing.Queue<int>();
        }

        _manager ??= Manager.Start();
        return _manager.Queue<int>();
    }

    /// <summary>Targets of the child processes: public static methods, found there by name.</summary>
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

        public static void ReportUntilNegative(Multiprocessing.Queue<int> queue, Multiprocessing.Queue<int> report)
        {
            while (queue.Get(timeout: Bound) is var item && item >= 0)
            {
                report.Put(item);
            }
        }

        public static void TakeOneThenSleep(Multiprocessing.Queue<int> queue, Multiprocessing.Queue<int> taken)
        {
            taken.Put(queue.Get(timeout: Bound));
            Thread.Sleep(Bound);
        }
    }
}
