using Akka.Actor;
using Akka.TestKit;
using Multiprocessing.Internal.Pipes;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Pipes.PipeProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Pipes;

/// <summary>
/// The two actors behind a <c>Pipe</c>, without processes: test probes play the callers' reply actors (one per
/// process). A send goes through the sender's own end to the other end's inbox.
/// </summary>
public sealed class PipeEndActorTests : ActorTestKit
{

    public PipeEndActorTests(ITestOutputHelper output)
        : base(output)
    {
    }

    // ----- send and receive -----

    [Fact]
    public async Task Send_puts_values_in_the_other_end_and_Recv_takes_them_in_order()
    {
        var (left, right) = NewPipe();
        var caller = CreateTestProbe();

        await SendAsync(caller, left, [1]);
        await SendAsync(caller, left, [2]);
        await SendAsync(caller, right, [3]);

        Assert.Equal([1], await RecvAsync(caller, right));
        Assert.Equal([2], await RecvAsync(caller, right));
        Assert.Equal([3], await RecvAsync(caller, left));
    }

    [Fact]
    public async Task Recv_waits_until_a_value_arrives()
    {
        var (left, right) = NewPipe();
        var receiver = CreateTestProbe();
        var id = SendRecv(receiver, right);
        await receiver.ExpectNoMsgAsync(Quiet);

        await SendAsync(CreateTestProbe(), left, [7]);

        var data = await receiver.ExpectMsgAsync<Data>(Wait);
        Assert.Equal(id, data.CallId);
        Assert.Equal([7], data.Value);
    }

    [Fact]
    public async Task Cancel_of_a_parked_Recv_replies_Withdrawn_and_a_later_value_stays_in_the_inbox()
    {
        var (left, right) = NewPipe();
        var receiver = CreateTestProbe();
        var id = SendRecv(receiver, right);
        await receiver.ExpectNoMsgAsync(Quiet);

        receiver.Send(right, new Cancel(id));
        Assert.Equal(id, (await receiver.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await SendAsync(CreateTestProbe(), left, [9]);

        Assert.Equal([9], await RecvAsync(receiver, right));
    }

    // ----- poll -----

    [Fact]
    public async Task Poll_replies_false_at_once_with_zero_timeout_and_true_when_a_value_waits()
    {
        var (left, right) = NewPipe();
        var caller = CreateTestProbe();

        Assert.False(await PollAsync(caller, right, NoWait));
        await SendAsync(caller, left, [1]);
        Assert.True(await PollAsync(caller, right, NoWait));
        Assert.Equal([1], await RecvAsync(caller, right));
    }

    [Fact]
    public async Task Poll_replies_false_after_its_timeout_when_nothing_arrives()
    {
        var (_, right) = NewPipe();

        Assert.False(await PollAsync(CreateTestProbe(), right, 200));
    }

    [Fact]
    public async Task Poll_waits_until_a_value_arrives_without_taking_it()
    {
        var (left, right) = NewPipe();
        var poller = CreateTestProbe();
        var id = NextCallId();
        poller.Send(right, new Poll(id, Forever));
        await poller.ExpectNoMsgAsync(Quiet);

        await SendAsync(CreateTestProbe(), left, [5]);

        var flag = await poller.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal((id, true), (flag.CallId, flag.Value));
        Assert.Equal([5], await RecvAsync(poller, right));
    }

    [Fact]
    public async Task Cancel_of_a_parked_Poll_replies_Withdrawn()
    {
        var (_, right) = NewPipe();
        var poller = CreateTestProbe();
        var id = NextCallId();
        poller.Send(right, new Poll(id, Forever));
        await poller.ExpectNoMsgAsync(Quiet);

        poller.Send(right, new Cancel(id));

        Assert.Equal(id, (await poller.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
    }

    // ----- closing and EOF -----

    [Fact]
    public async Task Recv_returns_the_buffered_values_then_EndOfStream_after_the_other_end_closes()
    {
        var (left, right) = NewPipe();
        var caller = CreateTestProbe();
        await SendAsync(caller, left, [1]);
        await SendAsync(caller, left, [2]);

        await CloseAsync(caller, left);

        Assert.Equal([1], await RecvAsync(caller, right));
        Assert.True(await PollAsync(caller, right, NoWait));
        Assert.Equal([2], await RecvAsync(caller, right));
        Assert.True(await PollAsync(caller, right, NoWait));
        Assert.IsType<EndOfStreamException>(await FailedRecvAsync(caller, right));
    }

    [Fact]
    public async Task Parked_Recv_gets_EndOfStream_when_the_other_end_closes()
    {
        var (left, right) = NewPipe();
        var receiver = CreateTestProbe();
        SendRecv(receiver, right);
        await receiver.ExpectNoMsgAsync(Quiet);

        await CloseAsync(CreateTestProbe(), left);

        Assert.IsType<EndOfStreamException>((await receiver.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
    }

    [Fact]
    public async Task Send_replies_IOException_when_the_other_end_is_closed()
    {
        var (left, right) = NewPipe();
        var caller = CreateTestProbe();
        await CloseAsync(caller, right);

        var id = NextCallId();
        caller.Send(left, new Send(id, [1]));

        Assert.IsType<IOException>((await caller.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
    }

    [Fact]
    public async Task Requests_on_a_closed_end_reply_ObjectDisposedException()
    {
        var (left, _) = NewPipe();
        var caller = CreateTestProbe();
        await CloseAsync(caller, left);

        caller.Send(left, new Send(NextCallId(), [1]));
        Assert.IsType<ObjectDisposedException>((await caller.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
        Assert.IsType<ObjectDisposedException>(await FailedRecvAsync(caller, left));
    }

    [Fact]
    public async Task Close_fails_a_parked_Recv_of_the_same_end_with_ObjectDisposedException()
    {
        var (left, _) = NewPipe();
        var receiver = CreateTestProbe();
        SendRecv(receiver, left);
        await receiver.ExpectNoMsgAsync(Quiet);

        await CloseAsync(CreateTestProbe(), left);

        Assert.IsType<ObjectDisposedException>((await receiver.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
    }

    [Fact]
    public async Task Terminated_of_a_process_that_attached_an_end_closes_it_and_the_other_end_reads_EndOfStream()
    {
        var (left, right) = NewPipe();
        var child = CreateTestProbe();
        var parent = CreateTestProbe();
        child.Send(left, Attach.Instance);
        await SendAsync(child, left, [1]);

        Sys.Stop(child);

        Assert.Equal([1], await RecvAsync(parent, right));
        await AwaitAssertAsync(async () => Assert.IsType<EndOfStreamException>(await FailedRecvAsync(parent, right)), Wait);
    }

    [Fact]
    public async Task Terminated_of_a_caller_that_never_attached_leaves_the_end_open()
    {
        var (left, right) = NewPipe();
        var caller = CreateTestProbe();
        var watcher = CreateTestProbe();
        var id = NextCallId();
        caller.Send(right, new Poll(id, NoWait));
        await caller.ExpectMsgAsync<Flag>(Wait);
        watcher.Watch(caller);

        Sys.Stop(caller);
        await watcher.ExpectTerminatedAsync(caller, Wait);

        var other = CreateTestProbe();
        await SendAsync(other, left, [3]);
        Assert.Equal([3], await RecvAsync(other, right));
    }

    // ----- one-way pipes -----

    [Fact]
    public async Task One_way_pipe_refuses_to_send_from_the_first_end_and_to_receive_at_the_second_with_InvalidOperationException()
    {
        var reader = Sys.ActorOf(PipeEndActor.Props(canSend: false, canReceive: true));
        var writer = Sys.ActorOf(PipeEndActor.Props(canSend: true, canReceive: false));
        reader.Tell(new PipeEndActor.Pair(writer));
        writer.Tell(new PipeEndActor.Pair(reader));
        var caller = CreateTestProbe();

        caller.Send(reader, new Send(NextCallId(), [1]));
        Assert.IsType<InvalidOperationException>((await caller.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
        Assert.IsType<InvalidOperationException>(await FailedRecvAsync(caller, writer));
        caller.Send(writer, new Poll(NextCallId(), NoWait));
        Assert.IsType<InvalidOperationException>((await caller.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));

        await SendAsync(caller, writer, [4]);
        Assert.Equal([4], await RecvAsync(caller, reader));
    }

    // ----- helpers -----

    private (IActorRef Left, IActorRef Right) NewPipe()
    {
        var left = Sys.ActorOf(PipeEndActor.Props(canSend: true, canReceive: true));
        var right = Sys.ActorOf(PipeEndActor.Props(canSend: true, canReceive: true));
        left.Tell(new PipeEndActor.Pair(right));
        right.Tell(new PipeEndActor.Pair(left));
        return (left, right);
    }

    private static async Task SendAsync(TestProbe caller, IActorRef end, byte[] value)
    {
        var id = NextCallId();
        caller.Send(end, new Send(id, value));
        Assert.Equal(id, (await caller.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    private static long SendRecv(TestProbe caller, IActorRef end)
    {
        var id = NextCallId();
        caller.Send(end, new Recv(id));
        return id;
    }

    private static async Task<byte[]> RecvAsync(TestProbe caller, IActorRef end)
    {
        var id = SendRecv(caller, end);
        var data = await caller.ExpectMsgAsync<Data>(Wait);
        Assert.Equal(id, data.CallId);
        return data.Value;
    }

    private static async Task<Exception> FailedRecvAsync(TestProbe caller, IActorRef end)
    {
        var id = SendRecv(caller, end);
        var failed = await caller.ExpectMsgAsync<Failed>(Wait);
        Assert.Equal(id, failed.CallId);
        return failed.Error.ToException("test");
    }

    private static async Task<bool> PollAsync(TestProbe caller, IActorRef end, long timeoutMs)
    {
        var id = NextCallId();
        caller.Send(end, new Poll(id, timeoutMs));
        var flag = await caller.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        return flag.Value;
    }

    private static async Task CloseAsync(TestProbe caller, IActorRef end)
    {
        var id = NextCallId();
        caller.Send(end, new Close(id));
        Assert.Equal(id, (await caller.ExpectMsgAsync<Done>(Wait)).CallId);
    }
}
