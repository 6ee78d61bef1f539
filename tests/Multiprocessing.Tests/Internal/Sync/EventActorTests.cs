using Akka.Actor;
using Akka.TestKit;
using Multiprocessing.Internal.Sync;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Sharing.CallProtocol;
using static Multiprocessing.Internal.Sync.EventProtocol;

namespace Multiprocessing.Tests.Internal.Sync;

/// <summary>
/// The actor behind <c>Event</c>, without processes: test probes play the callers' reply actors (one per process).
/// Spec ids refer to /work/shared/spec/python-semantics.md (§1.15 E-).
/// </summary>
public sealed class EventActorTests : ActorTestKit
{

    public EventActorTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task IsSet_replies_false_for_a_new_event_E01()
    {
        var ev = NewEvent();

        Assert.False(await IsSetAsync(ev));
    }

    [Fact]
    public async Task Wait_replies_false_after_its_timeout_when_the_event_stays_clear_E01()
    {
        var ev = NewEvent();
        var waiter = CreateTestProbe();

        var id = SendWait(waiter, ev, 200);

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        Assert.False(flag.Value);
    }

    [Fact]
    public async Task Wait_with_zero_timeout_replies_false_at_once_when_clear()
    {
        var ev = NewEvent();
        var waiter = CreateTestProbe();

        SendWait(waiter, ev, NoWait);

        Assert.False((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    [Fact]
    public async Task Set_releases_every_parked_waiter_with_true_E02()
    {
        var ev = NewEvent();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var firstId = SendWait(first, ev, Forever);
        var secondId = SendWait(second, ev, 60_000);
        await first.ExpectNoMsgAsync(Quiet);

        await SetAsync(ev);

        var a = await first.ExpectMsgAsync<Flag>(Wait);
        var b = await second.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal((firstId, true), (a.CallId, a.Value));
        Assert.Equal((secondId, true), (b.CallId, b.Value));
    }

    [Theory]
    [InlineData(Forever)]
    [InlineData(NoWait)]
    [InlineData(1000)]
    public async Task Wait_replies_true_at_once_after_Set_E02(long timeoutMs)
    {
        var ev = NewEvent();
        var waiter = CreateTestProbe();
        await SetAsync(ev);

        SendWait(waiter, ev, timeoutMs);

        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
        Assert.True(await IsSetAsync(ev));
    }

    [Fact]
    public async Task Clear_resets_the_flag_so_later_waits_block_again_E03()
    {
        var ev = NewEvent();
        var waiter = CreateTestProbe();
        await SetAsync(ev);

        var probe = CreateTestProbe();
        var id = NextCallId();
        probe.Send(ev, new Clear(id));
        Assert.Equal(id, (await probe.ExpectMsgAsync<Done>(Wait)).CallId);

        Assert.False(await IsSetAsync(ev));
        SendWait(waiter, ev, Forever);
        await waiter.ExpectNoMsgAsync(Quiet);
        await SetAsync(ev);
        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    [Fact]
    public async Task Wait_that_timed_out_is_not_answered_again_by_a_later_Set()
    {
        var ev = NewEvent();
        var waiter = CreateTestProbe();
        SendWait(waiter, ev, 100);
        Assert.False((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);

        await SetAsync(ev);

        await waiter.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Cancel_withdraws_a_parked_wait_with_Withdrawn()
    {
        var ev = NewEvent();
        var waiter = CreateTestProbe();
        var id = SendWait(waiter, ev, Forever);
        await waiter.ExpectNoMsgAsync(Quiet);

        waiter.Send(ev, new Cancel(id));

        Assert.Equal(id, (await waiter.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await SetAsync(ev);
        await waiter.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Cancel_of_a_call_that_was_already_answered_is_ignored()
    {
        var ev = NewEvent();
        var waiter = CreateTestProbe();
        await SetAsync(ev);
        var id = SendWait(waiter, ev, Forever);
        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);

        waiter.Send(ev, new Cancel(id));

        await waiter.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Terminated_of_a_parked_waiter_drops_its_wait()
    {
        var ev = NewEvent();
        var doomed = CreateTestProbe();
        var survivor = CreateTestProbe();
        SendWait(doomed, ev, Forever);
        SendWait(survivor, ev, Forever);
        await survivor.ExpectNoMsgAsync(Quiet);
        var watcher = CreateTestProbe();
        watcher.Watch(doomed);

        Sys.Stop(doomed);
        await watcher.ExpectTerminatedAsync(doomed, Wait);

        await SetAsync(ev);
        Assert.True((await survivor.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    // ----- helpers -----

    private IActorRef NewEvent() => Sys.ActorOf(EventActor.Props());

    private static long SendWait(TestProbe caller, IActorRef target, long timeoutMs)
    {
        var id = NextCallId();
        caller.Send(target, new EventProtocol.Wait(id, timeoutMs));
        return id;
    }

    private async Task SetAsync(IActorRef target)
    {
        var probe = CreateTestProbe();
        var id = NextCallId();
        probe.Send(target, new Set(id));
        Assert.Equal(id, (await probe.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    private async Task<bool> IsSetAsync(IActorRef target)
    {
        var probe = CreateTestProbe();
        var id = NextCallId();
        probe.Send(target, new IsSet(id));
        var flag = await probe.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        return flag.Value;
    }
}
