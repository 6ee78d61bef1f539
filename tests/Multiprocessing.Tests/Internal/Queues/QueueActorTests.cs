using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Internal.Runtime;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Queues.QueueProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Queues;

/// <summary>
/// The queue actor without processes: probes play producers and consumers, send requests and read the replies. Every
/// message goes through the protocol serializer (serialize-messages). Spec ids refer to
/// /work/shared/spec/python-semantics.md (Q-, JQ-) and its pain points.
/// </summary>
public sealed class QueueActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    public QueueActorTests(ITestOutputHelper output)
        : base(
            ConfigurationFactory.ParseString(
                """
                akka.loglevel = WARNING
                akka.actor.serialize-messages = on
                """).WithFallback(MultiprocessingRuntime.DefaultConfig()),
            null,
            output)
    {
    }

    // ----- FIFO and size -----

    [Fact]
    public async Task Get_returns_items_in_the_order_they_were_put_Q05()
    {
        var queue = StartQueue();
        var producer = CreateTestProbe();
        var consumer = CreateTestProbe();

        for (var i = 1; i <= 5; i++)
        {
            await PutAsync(producer, queue, i, Item(i));
        }

        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(Item(i), await GetAsync(consumer, queue, 100 + i));
        }
    }

    [Fact]
    public async Task GetSize_counts_items_exactly_as_they_are_put_and_taken_pain_point_22()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();

        Assert.Equal(0, await SizeAsync(probe, queue));
        await PutAsync(probe, queue, 1, Item(1));
        Assert.Equal(1, await SizeAsync(probe, queue));
        await PutAsync(probe, queue, 2, Item(2));
        Assert.Equal(2, await SizeAsync(probe, queue));
        await GetAsync(probe, queue, 3);
        Assert.Equal(1, await SizeAsync(probe, queue));
        await GetAsync(probe, queue, 4);
        Assert.Equal(0, await SizeAsync(probe, queue));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Put_never_waits_and_IsFull_stays_false_when_maxsize_is_zero_or_negative_Q01(int maxsize)
    {
        var queue = StartQueue(maxsize);
        var probe = CreateTestProbe();

        for (var i = 0; i < 1000; i++)
        {
            probe.Send(queue, new Put(i, Item(i), 0));
        }

        for (var i = 0; i < 1000; i++)
        {
            // unbounded; the acknowledgement says so (Number 0), so clients may stop waiting for later ones.
            var ack = await probe.ExpectMsgAsync<Number>(Wait);
            Assert.Equal(i, ack.CallId);
            Assert.Equal(0, ack.Value);
        }

        Assert.Equal(1000, await SizeAsync(probe, queue));
        Assert.False(await FullAsync(probe, queue));
    }

    // ----- bounded queue: full, parked puts, timeouts (Q-02) -----

    [Fact]
    public async Task IsFull_reports_true_when_the_queue_holds_maxsize_items()
    {
        var queue = StartQueue(maxsize: 2);
        var probe = CreateTestProbe();

        await PutAsync(probe, queue, 1, Item(1));
        Assert.False(await FullAsync(probe, queue));
        await PutAsync(probe, queue, 2, Item(2));
        Assert.True(await FullAsync(probe, queue));
    }

    [Fact]
    public async Task Put_answers_false_at_once_when_the_queue_is_full_and_the_put_may_not_wait_Q02()
    {
        var queue = StartQueue(maxsize: 1);
        var probe = CreateTestProbe();
        await PutAsync(probe, queue, 1, Item(1));

        probe.Send(queue, new Put(2, Item(2), 0));

        var flag = await probe.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(2, flag.CallId);
        Assert.False(flag.Value);
        Assert.Equal(1, await SizeAsync(probe, queue));
    }

    [Fact]
    public async Task Put_waits_for_room_and_is_accepted_when_a_get_takes_an_item_Q02()
    {
        var queue = StartQueue(maxsize: 1);
        var producer = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(producer, queue, 1, Item(1));

        producer.Send(queue, new Put(2, Item(2), -1));
        await producer.ExpectNoMsgAsync(Quiet);

        Assert.Equal(Item(1), await GetAsync(consumer, queue, 10));
        Assert.Equal(2, (await producer.ExpectMsgAsync<Done>(Wait)).CallId);
        Assert.Equal(Item(2), await GetAsync(consumer, queue, 11));
    }

    [Fact]
    public async Task Put_answers_false_when_the_queue_stays_full_for_the_timeout_and_its_item_is_never_added_later_Q02()
    {
        var queue = StartQueue(maxsize: 1);
        var producer = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(producer, queue, 1, Item(1));

        producer.Send(queue, new Put(2, Item(2), 200));

        var flag = await producer.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(2, flag.CallId);
        Assert.False(flag.Value);
        Assert.Equal(Item(1), await GetAsync(consumer, queue, 10));
        Assert.Equal(0, await SizeAsync(consumer, queue));
        await producer.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Parked_puts_are_accepted_in_arrival_order_Q05()
    {
        var queue = StartQueue(maxsize: 1);
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(first, queue, 1, Item(1));
        first.Send(queue, new Put(2, Item(2), -1));
        await first.ExpectNoMsgAsync(Quiet);
        second.Send(queue, new Put(3, Item(3), -1));
        await second.ExpectNoMsgAsync(Quiet);

        Assert.Equal(Item(1), await GetAsync(consumer, queue, 10));
        Assert.Equal(Item(2), await GetAsync(consumer, queue, 11));
        Assert.Equal(Item(3), await GetAsync(consumer, queue, 12));
        Assert.Equal(2, (await first.ExpectMsgAsync<Done>(Wait)).CallId);
        Assert.Equal(3, (await second.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    // ----- empty queue: parked gets, timeouts (Q-03) -----

    [Fact]
    public async Task Get_answers_false_at_once_when_the_queue_is_empty_and_the_get_may_not_wait_Q03()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();

        probe.Send(queue, new Get(7, 0, 1));

        var flag = await probe.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(7, flag.CallId);
        Assert.False(flag.Value);
    }

    [Fact]
    public async Task Get_waits_for_an_item_and_takes_the_next_one_put_Q03()
    {
        var queue = StartQueue();
        var consumer = CreateTestProbe();
        var producer = CreateTestProbe();

        consumer.Send(queue, new Get(7, -1, 1));
        await consumer.ExpectNoMsgAsync(Quiet);
        await PutAsync(producer, queue, 1, Item(42));

        var items = await consumer.ExpectMsgAsync<Items>(Wait);
        Assert.Equal(7, items.CallId);
        Assert.Equal([Item(42)], items.Values);
        Assert.Equal(0, await SizeAsync(producer, queue));
    }

    [Fact]
    public async Task Get_answers_false_when_the_queue_stays_empty_for_the_timeout_and_never_takes_a_later_item_Q03()
    {
        var queue = StartQueue();
        var consumer = CreateTestProbe();
        var producer = CreateTestProbe();

        consumer.Send(queue, new Get(7, 200, 1));
        var flag = await consumer.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(7, flag.CallId);
        Assert.False(flag.Value);

        await PutAsync(producer, queue, 1, Item(1));
        await consumer.ExpectNoMsgAsync(Quiet);
        Assert.Equal(1, await SizeAsync(producer, queue));
    }

    [Fact]
    public async Task Parked_gets_are_served_in_arrival_order()
    {
        var queue = StartQueue();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var producer = CreateTestProbe();
        first.Send(queue, new Get(1, -1, 1));
        await first.ExpectNoMsgAsync(Quiet);
        second.Send(queue, new Get(2, -1, 1));
        await second.ExpectNoMsgAsync(Quiet);

        await PutAsync(producer, queue, 10, Item(10));
        await PutAsync(producer, queue, 11, Item(11));

        Assert.Equal([Item(10)], (await first.ExpectMsgAsync<Items>(Wait)).Values);
        Assert.Equal([Item(11)], (await second.ExpectMsgAsync<Items>(Wait)).Values);
    }

    // ----- cancel -----

    [Fact]
    public async Task Cancel_withdraws_a_parked_get_so_a_later_item_stays_in_the_queue()
    {
        var queue = StartQueue();
        var consumer = CreateTestProbe();
        var producer = CreateTestProbe();
        consumer.Send(queue, new Get(7, -1, 1));
        await consumer.ExpectNoMsgAsync(Quiet);

        consumer.Send(queue, new Cancel(7));

        Assert.Equal(7, (await consumer.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await PutAsync(producer, queue, 1, Item(1));
        await consumer.ExpectNoMsgAsync(Quiet);
        Assert.Equal(1, await SizeAsync(producer, queue));
    }

    [Fact]
    public async Task Cancel_withdraws_a_parked_put_so_its_item_is_never_added()
    {
        var queue = StartQueue(maxsize: 1);
        var producer = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(producer, queue, 1, Item(1));
        producer.Send(queue, new Put(2, Item(2), -1));
        await producer.ExpectNoMsgAsync(Quiet);

        producer.Send(queue, new Cancel(2));

        Assert.Equal(2, (await producer.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        Assert.Equal(Item(1), await GetAsync(consumer, queue, 10));
        Assert.Equal(0, await SizeAsync(consumer, queue));
        await producer.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Cancel_is_ignored_when_the_request_was_already_served()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();
        await PutAsync(probe, queue, 1, Item(1));
        Assert.Equal(Item(1), await GetAsync(probe, queue, 2));

        probe.Send(queue, new Cancel(2));

        await probe.ExpectNoMsgAsync(Quiet);
    }

    // ----- JoinableQueue: task_done and join (JQ-) -----

    [Fact]
    public async Task TaskDone_fails_with_task_done_called_too_many_times_on_a_fresh_queue_JQ02()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();

        probe.Send(queue, new TaskDone(1));

        var failed = await probe.ExpectMsgAsync<Failed>(Wait);
        Assert.Equal(1, failed.CallId);
        Assert.Contains("task_done() called too many times", failed.Error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(failed.Error.ToException("test"));
    }

    [Fact]
    public async Task TaskDone_fails_when_called_more_times_than_items_put_JQ02()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();
        await PutAsync(probe, queue, 1, Item(1));
        await GetAsync(probe, queue, 2);

        probe.Send(queue, new TaskDone(3));
        Assert.Equal(3, (await probe.ExpectMsgAsync<Done>(Wait)).CallId);
        probe.Send(queue, new TaskDone(4));
        Assert.Equal(4, (await probe.ExpectMsgAsync<Failed>(Wait)).CallId);
    }

    [Fact]
    public async Task Join_answers_true_at_once_when_nothing_was_ever_put_JQ03()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();

        probe.Send(queue, new Join(1, -1));

        Assert.True((await probe.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    [Fact]
    public async Task Join_waits_until_the_last_TaskDone_JQ03()
    {
        var queue = StartQueue();
        var worker = CreateTestProbe();
        var joiner = CreateTestProbe();
        await PutAsync(worker, queue, 1, Item(1));
        await PutAsync(worker, queue, 2, Item(2));

        joiner.Send(queue, new Join(50, -1));
        await joiner.ExpectNoMsgAsync(Quiet);
        await GetAsync(worker, queue, 3);
        worker.Send(queue, new TaskDone(4));
        await worker.ExpectMsgAsync<Done>(Wait);
        await joiner.ExpectNoMsgAsync(Quiet);
        await GetAsync(worker, queue, 5);
        worker.Send(queue, new TaskDone(6));
        await worker.ExpectMsgAsync<Done>(Wait);

        var flag = await joiner.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(50, flag.CallId);
        Assert.True(flag.Value);
    }

    [Fact]
    public async Task Join_answers_false_when_items_stay_unfinished_for_the_timeout()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();
        await PutAsync(probe, queue, 1, Item(1));

        probe.Send(queue, new Join(2, 0));
        Assert.False((await probe.ExpectMsgAsync<Flag>(Wait)).Value);
        probe.Send(queue, new Join(3, 200));
        var flag = await probe.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(3, flag.CallId);
        Assert.False(flag.Value);
    }

    // ----- processes that die -----

    [Fact]
    public async Task Parked_get_of_a_consumer_that_died_is_dropped_so_the_next_item_stays_in_the_queue()
    {
        var queue = StartQueue();
        var dead = CreateTestProbe();
        var producer = CreateTestProbe();
        var consumer = CreateTestProbe();
        dead.Send(queue, new Get(1, -1, 1));
        await dead.ExpectNoMsgAsync(Quiet);
        await StopAsync(dead);

        await PutAsync(producer, queue, 2, Item(2));

        Assert.Equal(1, await SizeAsync(producer, queue));
        Assert.Equal(Item(2), await GetAsync(consumer, queue, 3));
    }

    [Fact]
    public async Task Item_sent_to_a_consumer_that_dies_before_confirming_it_goes_back_to_the_head_of_the_queue()
    {
        var queue = StartQueue();
        var dying = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(consumer, queue, 1, Item(1));
        await PutAsync(consumer, queue, 2, Item(2));
        Assert.Equal(Item(1), await GetAsync(dying, queue, 3, confirm: false));

        await StopAsync(dying);

        await AwaitAssertAsync(async () => Assert.Equal(2, await SizeAsync(consumer, queue)), Wait);
        Assert.Equal(Item(1), await GetAsync(consumer, queue, 4));
        Assert.Equal(Item(2), await GetAsync(consumer, queue, 5));
    }

    [Fact]
    public async Task Item_confirmed_by_a_consumer_that_dies_later_is_not_returned_to_the_queue()
    {
        var queue = StartQueue();
        var dying = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(consumer, queue, 1, Item(1));
        await PutAsync(consumer, queue, 2, Item(2));
        Assert.Equal(Item(1), await GetAsync(dying, queue, 3));
        Assert.Equal(1, await SizeAsync(dying, queue)); // the confirmation was handled before the death

        await StopAsync(dying);

        Assert.Equal(1, await SizeAsync(consumer, queue));
        Assert.Equal(Item(2), await GetAsync(consumer, queue, 4));
    }

    [Fact]
    public async Task Parked_put_of_a_producer_that_died_is_dropped()
    {
        var queue = StartQueue(maxsize: 1);
        var dead = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(consumer, queue, 1, Item(1));
        dead.Send(queue, new Put(2, Item(2), -1));
        await dead.ExpectNoMsgAsync(Quiet);

        await StopAsync(dead);

        Assert.Equal(Item(1), await GetAsync(consumer, queue, 3));
        Assert.Equal(0, await SizeAsync(consumer, queue));
    }

    // ----- puts sent together -----

    [Fact]
    public async Task PutMany_adds_the_items_in_their_order_and_counts_each_for_Join_Q05_JQ01()
    {
        var queue = StartQueue();
        var producer = CreateTestProbe();
        var consumer = CreateTestProbe();
        await PutAsync(producer, queue, 1, Item(1));

        producer.Send(queue, new PutMany(2, [Item(2), Item(3), Item(4)]));

        var ack = await producer.ExpectMsgAsync<Number>(Wait);
        Assert.Equal(2, ack.CallId);
        Assert.Equal(4, await SizeAsync(producer, queue));
        for (var i = 1; i <= 4; i++)
        {
            Assert.Equal(Item(i), await GetAsync(consumer, queue, 10 + i));
            consumer.Send(queue, new TaskDone(20 + i));
            await consumer.ExpectMsgAsync<Done>(Wait);
        }

        consumer.Send(queue, new Join(30, 0));
        Assert.True((await consumer.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    [Fact]
    public async Task PutMany_is_refused_by_a_bounded_queue_and_adds_nothing_Q02()
    {
        var queue = StartQueue(maxsize: 5);
        var producer = CreateTestProbe();

        producer.Send(queue, new PutMany(2, [Item(2), Item(3)]));

        Assert.Equal(2, (await producer.ExpectMsgAsync<Failed>(Wait)).CallId);
        Assert.Equal(0, await SizeAsync(producer, queue));
    }

    // ----- prefetch: batches, leases, revocation -----

    [Fact]
    public async Task Get_hands_out_up_to_Max_items_and_only_those_already_in_the_queue()
    {
        var queue = StartQueue();
        var producer = CreateTestProbe();
        var consumer = CreateTestProbe();
        for (var i = 1; i <= 3; i++)
        {
            await PutAsync(producer, queue, i, Item(i));
        }

        var first = await FetchAsync(consumer, queue, 10, max: 10);
        Assert.Equal([Item(1), Item(2), Item(3)], first.Values);
        for (var seq = first.FirstSeq; seq < first.FirstSeq + 3; seq++)
        {
            consumer.Send(queue, new Taken(seq)); // as a client does: each get confirms the item it returns
        }

        // A lone consumer is never kept waiting for a batch to fill: one item put, one item handed out at once.
        consumer.Send(queue, new Get(11, -1, 10));
        await consumer.ExpectNoMsgAsync(Quiet);
        await PutAsync(producer, queue, 4, Item(4));
        var second = await consumer.ExpectMsgAsync<Items>(Wait);
        Assert.Equal([Item(4)], second.Values);
        Assert.Equal(first.FirstSeq + 3, second.FirstSeq);

        for (var i = 5; i <= 9; i++)
        {
            await PutAsync(producer, queue, i, Item(i));
        }

        Assert.Equal([Item(5), Item(6)], (await FetchAsync(consumer, queue, 12, max: 2)).Values);
    }

    [Fact]
    public async Task Waiting_getters_share_items_that_arrive_together()
    {
        var queue = StartQueue();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var producer = CreateTestProbe();
        first.Send(queue, new Get(1, -1, 10));
        await first.ExpectNoMsgAsync(Quiet);
        second.Send(queue, new Get(2, -1, 10));
        await second.ExpectNoMsgAsync(Quiet);

        producer.Send(queue, new PutMany(3, [Item(1), Item(2), Item(3), Item(4), Item(5)]));

        Assert.Equal([Item(1), Item(2), Item(3)], (await first.ExpectMsgAsync<Items>(Wait)).Values);
        Assert.Equal([Item(4), Item(5)], (await second.ExpectMsgAsync<Items>(Wait)).Values);
    }

    [Fact]
    public async Task Get_of_a_bounded_queue_hands_out_one_item_whatever_Max_Q02()
    {
        var queue = StartQueue(maxsize: 3);
        var probe = CreateTestProbe();
        for (var i = 1; i <= 3; i++)
        {
            await PutAsync(probe, queue, i, Item(i));
        }

        Assert.Equal([Item(1)], (await FetchAsync(probe, queue, 10, max: 10)).Values);
        Assert.False(await FullAsync(probe, queue));
    }

    [Fact]
    public async Task Prefetched_items_count_in_the_size_until_the_consumer_confirms_them_pain_point_22()
    {
        var queue = StartQueue();
        var probe = CreateTestProbe();
        for (var i = 1; i <= 3; i++)
        {
            await PutAsync(probe, queue, i, Item(i));
        }

        var batch = await FetchAsync(probe, queue, 10, max: 3);
        probe.Send(queue, new Taken(batch.FirstSeq));

        // The first item is the get's answer; the two others wait in the consumer's process, not yet returned by a get.
        Assert.Equal(2, await SizeAsync(probe, queue));
        probe.Send(queue, new Taken(batch.FirstSeq + 1));
        Assert.Equal(1, await SizeAsync(probe, queue));
        probe.Send(queue, new Taken(batch.FirstSeq + 2));
        Assert.Equal(0, await SizeAsync(probe, queue));
    }

    [Fact]
    public async Task Items_leased_to_a_consumer_that_dies_go_back_to_the_head_of_the_queue_in_their_order()
    {
        var queue = StartQueue();
        var dying = CreateTestProbe();
        var consumer = CreateTestProbe();
        for (var i = 1; i <= 5; i++)
        {
            await PutAsync(consumer, queue, i, Item(i));
        }

        var batch = await FetchAsync(dying, queue, 10, max: 3);
        Assert.Equal([Item(1), Item(2), Item(3)], batch.Values);
        dying.Send(queue, new Taken(batch.FirstSeq)); // its get returned item 1; items 2 and 3 were only prefetched
        await PutAsync(consumer, queue, 6, Item(6));

        await StopAsync(dying);

        for (var i = 2; i <= 6; i++)
        {
            Assert.Equal(Item(i), await GetAsync(consumer, queue, 100 + i));
        }

        Assert.Equal(0, await SizeAsync(consumer, queue));
    }

    [Fact]
    public async Task Waiting_get_makes_the_queue_revoke_prefetched_items_from_another_consumer()
    {
        var queue = StartQueue();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        for (var i = 1; i <= 4; i++)
        {
            await PutAsync(holder, queue, i, Item(i));
        }

        var batch = await FetchAsync(holder, queue, 10, max: 4);
        holder.Send(queue, new Taken(batch.FirstSeq));
        waiter.Send(queue, new Get(20, -1, 4));

        await holder.ExpectMsgAsync<Revoke>(Wait);
        await waiter.ExpectNoMsgAsync(Quiet);

        // The holder gives back items 2 and 3 (its older half) and keeps item 4; the waiting get receives them.
        holder.Send(queue, new Return(batch.FirstSeq + 3, [batch.FirstSeq + 1, batch.FirstSeq + 2], [batch.FirstSeq + 3]));
        var answer = await waiter.ExpectMsgAsync<Items>(Wait);
        Assert.Equal(20, answer.CallId);
        Assert.Equal([Item(2), Item(3)], answer.Values);
        waiter.Send(queue, new Taken(answer.FirstSeq));

        // Item 4 (kept by the holder) and item 3 (prefetched by the waiter) are not returned by a get yet.
        var size = SizeAsync(waiter, queue);
        await holder.ExpectMsgAsync<Revoke>(Wait);
        holder.Send(queue, new Return(batch.FirstSeq + 3, [], [batch.FirstSeq + 3]));
        Assert.Equal(2, await size);
    }

    [Fact]
    public async Task Get_that_may_not_wait_takes_an_item_a_holder_gives_back_instead_of_answering_empty_Q03()
    {
        var queue = StartQueue();
        var holder = CreateTestProbe();
        var other = CreateTestProbe();
        await PutAsync(holder, queue, 1, Item(1));
        await PutAsync(holder, queue, 2, Item(2));
        var batch = await FetchAsync(holder, queue, 10, max: 2);

        other.Send(queue, new Get(20, 0, 2));
        await holder.ExpectMsgAsync<Revoke>(Wait);
        await other.ExpectNoMsgAsync(Quiet);
        holder.Send(queue, new Return(batch.FirstSeq + 1, [batch.FirstSeq + 1], []));

        var answer = await other.ExpectMsgAsync<Items>(Wait);
        Assert.Equal(20, answer.CallId);
        Assert.Equal([Item(2)], answer.Values);
    }

    [Fact]
    public async Task Get_that_may_not_wait_answers_empty_once_the_holder_says_its_program_took_everything_Q03()
    {
        var queue = StartQueue();
        var holder = CreateTestProbe();
        var other = CreateTestProbe();
        await PutAsync(holder, queue, 1, Item(1));
        await PutAsync(holder, queue, 2, Item(2));
        var batch = await FetchAsync(holder, queue, 10, max: 2);

        other.Send(queue, new Get(20, 0, 2));
        await holder.ExpectMsgAsync<Revoke>(Wait);
        holder.Send(queue, new Return(batch.FirstSeq + 1, [], []));

        var flag = await other.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(20, flag.CallId);
        Assert.False(flag.Value);
        Assert.Equal(0, await SizeAsync(other, queue));
    }

    [Fact]
    public async Task Size_asked_by_the_holder_itself_does_not_revoke_its_prefetched_items()
    {
        var queue = StartQueue();
        var holder = CreateTestProbe();
        for (var i = 1; i <= 3; i++)
        {
            await PutAsync(holder, queue, i, Item(i));
        }

        var batch = await FetchAsync(holder, queue, 10, max: 3);
        holder.Send(queue, new Taken(batch.FirstSeq));

        Assert.Equal(2, await SizeAsync(holder, queue));
        await holder.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Items_returned_on_close_go_back_ahead_of_later_items_in_their_order_Q05()
    {
        var queue = StartQueue();
        var holder = CreateTestProbe();
        var consumer = CreateTestProbe();
        for (var i = 1; i <= 4; i++)
        {
            await PutAsync(holder, queue, i, Item(i));
        }

        var batch = await FetchAsync(holder, queue, 10, max: 3);
        holder.Send(queue, new Taken(batch.FirstSeq));
        await PutAsync(holder, queue, 5, Item(5));

        holder.Send(queue, new Return(batch.FirstSeq + 2, [batch.FirstSeq + 1, batch.FirstSeq + 2], []));

        for (var i = 2; i <= 5; i++)
        {
            Assert.Equal(Item(i), await GetAsync(consumer, queue, 100 + i));
        }
    }

    [Fact]
    public async Task TaskDone_and_Join_count_prefetched_items_once_also_when_a_holder_dies_JQ01_JQ03()
    {
        var queue = StartQueue();
        var dying = CreateTestProbe();
        var worker = CreateTestProbe();
        var joiner = CreateTestProbe();
        await PutAsync(worker, queue, 1, Item(1));
        await PutAsync(worker, queue, 2, Item(2));
        await FetchAsync(dying, queue, 10, max: 2);
        await StopAsync(dying);

        joiner.Send(queue, new Join(50, -1));
        await GetAsync(worker, queue, 3);
        await GetAsync(worker, queue, 4);
        worker.Send(queue, new TaskDone(5));
        await worker.ExpectMsgAsync<Done>(Wait);
        await joiner.ExpectNoMsgAsync(Quiet);
        worker.Send(queue, new TaskDone(6));
        await worker.ExpectMsgAsync<Done>(Wait);

        Assert.True((await joiner.ExpectMsgAsync<Flag>(Wait)).Value);
        worker.Send(queue, new TaskDone(7));
        Assert.Equal(7, (await worker.ExpectMsgAsync<Failed>(Wait)).CallId); // JQ-02
    }

    private static byte[] Item(int i) => [0xcd, (byte)(i >> 8), (byte)i];

    private IActorRef StartQueue(int maxsize = 0) => Sys.ActorOf(QueueActor.Props(maxsize));

    private static async Task PutAsync(TestProbe probe, IActorRef queue, long callId, byte[] item)
    {
        probe.Send(queue, new Put(callId, item, -1));

        // A bounded queue acknowledges with Done, an unbounded one with Number 0 (later puts need not wait).
        var ack = await probe.ExpectMsgAsync<IReply>(Wait);
        Assert.Equal(callId, ack.CallId);
        Assert.True(ack is Done or Number { Value: 0 }, $"unexpected acknowledgement {ack}");
    }

    private static async Task<byte[]> GetAsync(TestProbe probe, IActorRef queue, long callId, bool confirm = true)
    {
        probe.Send(queue, new Get(callId, -1, 1));
        var items = await probe.ExpectMsgAsync<Items>(Wait);
        Assert.Equal(callId, items.CallId);
        Assert.Single(items.Values);
        if (confirm)
        {
            probe.Send(queue, new Taken(items.FirstSeq));
        }

        return items.Values[0];
    }

    private static async Task<Items> FetchAsync(TestProbe probe, IActorRef queue, long callId, int max)
    {
        probe.Send(queue, new Get(callId, -1, max));
        var items = await probe.ExpectMsgAsync<Items>(Wait);
        Assert.Equal(callId, items.CallId);
        return items;
    }

    private static async Task<long> SizeAsync(TestProbe probe, IActorRef queue)
    {
        probe.Send(queue, new GetSize(999));
        return (await probe.ExpectMsgAsync<Number>(Wait)).Value;
    }

    private static async Task<bool> FullAsync(TestProbe probe, IActorRef queue)
    {
        probe.Send(queue, new IsFull(998));
        return (await probe.ExpectMsgAsync<Flag>(Wait)).Value;
    }

    /// <summary>
    /// Stops a probe and waits until this test saw it die: the queue's death notification was sent at the same moment,
    /// and system messages are handled before the next request, so the queue knows before anything sent later.
    /// </summary>
    private async Task StopAsync(TestProbe probe)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(probe.Ref);
        Sys.Stop(probe.Ref);
        await watcher.ExpectTerminatedAsync(probe.Ref, Wait);

        // The queue hears of the death through its own watch, in its own mailbox: the watcher above may hear first.
        // Give that notification time to land before the next request races it.
        await Task.Delay(Quiet);
    }
}
