using Akka.TestKit;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Queues.QueueProtocol;

namespace Multiprocessing.Tests.Internal.Queues;

/// <summary>
/// The consumer side of prefetch: what a process keeps of a get's answer and what it gives back, with a probe in the
/// queue's place. Each test uses its own probe name, since buffers are found by the queue's path.
/// </summary>
public sealed class PrefetchBufferTests(ITestOutputHelper output) : ActorTestKit(output)
{
    [Fact]
    public void The_first_item_of_an_answer_is_the_gets_and_the_others_are_taken_in_order()
    {
        var queue = NewQueue();

        PrefetchBuffer.Received(queue.Ref, queue.Ref, new Items(1, 10, [[1], [2], [3]]), claimed: true);

        var buffer = PrefetchBuffer.For(queue.Ref);
        Assert.True(buffer.TryTake(out var seq, out var item));
        Assert.Equal(11, seq);
        Assert.Equal([2], item);
        Assert.True(buffer.TryTake(out seq, out item));
        Assert.Equal(12, seq);
        Assert.Equal([3], item);
        Assert.False(buffer.TryTake(out _, out _));
    }

    [Fact]
    public async Task A_revocation_gives_back_the_older_half_and_keeps_the_newer_items()
    {
        var queue = NewQueue();
        PrefetchBuffer.Received(queue.Ref, queue.Ref, new Items(1, 10, [[0], [1], [2], [3], [4]]), claimed: true);

        PrefetchBuffer.Revoked(queue.Ref);

        var returned = await queue.ExpectMsgAsync<Return>(Wait);
        Assert.Equal(14, returned.ReceivedUpTo);
        Assert.Equal([11L, 12L], returned.Returned);
        Assert.Equal([13L, 14L], returned.Kept);
        Assert.True(PrefetchBuffer.For(queue.Ref).TryTake(out var seq, out _));
        Assert.Equal(13, seq);
    }

    [Fact]
    public async Task Close_gives_back_every_item_not_taken_and_nothing_when_none_is_left()
    {
        var queue = NewQueue();
        PrefetchBuffer.Received(queue.Ref, queue.Ref, new Items(1, 10, [[0], [1], [2]]), claimed: true);
        Assert.True(PrefetchBuffer.For(queue.Ref).TryTake(out _, out _));

        QueueClient.ReturnPrefetched(queue.Ref);

        var returned = await queue.ExpectMsgAsync<Return>(Wait);
        Assert.Equal(12, returned.ReceivedUpTo);
        Assert.Equal([12L], returned.Returned);
        Assert.Empty(returned.Kept);
        QueueClient.ReturnPrefetched(queue.Ref);
        await queue.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task An_answer_no_get_waits_for_goes_back_whole()
    {
        var queue = NewQueue();

        PrefetchBuffer.Received(queue.Ref, queue.Ref, new Items(1, 10, [[0], [1]]), claimed: false);

        var returned = await queue.ExpectMsgAsync<Return>(Wait);
        Assert.Equal([10L, 11L], returned.Returned);
        Assert.False(PrefetchBuffer.For(queue.Ref).TryTake(out _, out _));
    }

    [Fact]
    public async Task A_revocation_from_a_queue_never_heard_of_is_still_answered()
    {
        var queue = NewQueue();

        PrefetchBuffer.Revoked(queue.Ref);

        var returned = await queue.ExpectMsgAsync<Return>(Wait);
        Assert.Empty(returned.Returned);
        Assert.Empty(returned.Kept);
    }

    [Fact]
    public async Task A_manager_queue_answering_from_behind_its_guard_finds_the_same_buffer()
    {
        var guard = NewQueue();
        var inner = NewQueue();
        PrefetchBuffer.Received(guard.Ref, inner.Ref, new Items(1, 10, [[0], [1], [2]]), claimed: true);

        PrefetchBuffer.Revoked(inner.Ref);

        // The answer goes through the guard, which the client called.
        var returned = await guard.ExpectMsgAsync<Return>(Wait);
        Assert.Equal([11L], returned.Returned);
        Assert.Equal([12L], returned.Kept);
    }

    private TestProbe NewQueue() => CreateTestProbe($"queue-{Guid.NewGuid():N}");
}
