using Akka.Actor;
using Akka.TestKit;
using MessagePack;
using Multiprocessing.Internal;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Sync;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Sharing.CallProtocol;
using static Multiprocessing.Internal.Sync.BarrierProtocol;

namespace Multiprocessing.Tests.Internal.Sync;

/// <summary>
/// The actor behind <c>Barrier</c>, without processes: test probes play the parties' reply actors (one per process).
/// Spec ids refer to /work/shared/spec/python-semantics.md (§1.16 B-, §2.3 item 6).
/// </summary>
public sealed class BarrierActorTests : ActorTestKit
{
    private static readonly FunctionSpec NoOpAction =
        FunctionSpec.Create(new Action(NoOp), typeof(Nil), typeof(Nil), ArgsShape.None, "action");


    public BarrierActorTests(ITestOutputHelper output)
        : base(output)
    {
    }

    // ----- generations (B-02, B-08) -----

    [Fact]
    public async Task Wait_releases_every_party_with_distinct_indices_when_the_last_arrives_B02()
    {
        var barrier = NewBarrier(3);
        var parties = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };

        var first = SendWait(parties[0], barrier, Forever);
        var second = SendWait(parties[1], barrier, Forever);
        await parties[0].ExpectNoMsgAsync(Quiet);
        var third = SendWait(parties[2], barrier, Forever);

        var a = await parties[0].ExpectMsgAsync<Number>(Wait);
        var b = await parties[1].ExpectMsgAsync<Number>(Wait);
        var c = await parties[2].ExpectMsgAsync<Number>(Wait);
        Assert.Equal([first, second, third], new[] { a.CallId, b.CallId, c.CallId });
        Assert.Equal([0L, 1L, 2L], new[] { a.Value, b.Value, c.Value });
    }

    [Fact]
    public async Task Wait_serves_the_next_generation_after_a_release_B02()
    {
        var barrier = NewBarrier(2);
        var one = CreateTestProbe();
        var two = CreateTestProbe();

        for (var generation = 0; generation < 3; generation++)
        {
            SendWait(one, barrier, Forever);
            SendWait(two, barrier, Forever);
            var indices = new[] { (await one.ExpectMsgAsync<Number>(Wait)).Value, (await two.ExpectMsgAsync<Number>(Wait)).Value };
            Assert.Equal([0L, 1L], indices.Order());
        }

        Assert.Equal((2, 0, false), await StateAsync(barrier));
    }

    [Fact]
    public async Task Wait_on_a_one_party_barrier_replies_index_zero_at_once_B08()
    {
        var barrier = NewBarrier(1);
        var party = CreateTestProbe();

        SendWait(party, barrier, NoWait);

        Assert.Equal(0, (await party.ExpectMsgAsync<Number>(Wait)).Value);
    }

    [Fact]
    public async Task GetState_reports_parties_waiting_parties_and_broken_B01()
    {
        var barrier = NewBarrier(3);
        Assert.Equal((3, 0, false), await StateAsync(barrier));

        SendWait(CreateTestProbe(), barrier, Forever);
        SendWait(CreateTestProbe(), barrier, Forever);

        await AwaitAssertAsync(async () => Assert.Equal((3, 2, false), await StateAsync(barrier)), Wait);
    }

    // ----- breaking (B-03..B-06) -----

    [Fact]
    public async Task Wait_that_times_out_breaks_the_barrier_for_every_waiter_B03()
    {
        var barrier = NewBarrier(3);
        var patient = CreateTestProbe();
        var hasty = CreateTestProbe();

        SendWait(patient, barrier, Forever);
        SendWait(hasty, barrier, 200);

        AssertBroken(await patient.ExpectMsgAsync<Failed>(Wait));
        AssertBroken(await hasty.ExpectMsgAsync<Failed>(Wait));
        Assert.Equal((3, 0, true), await StateAsync(barrier));
    }

    [Fact]
    public async Task Wait_without_a_timeout_uses_the_barrier_default_timeout_B03()
    {
        var barrier = Sys.ActorOf(BarrierActor.Props(2, 200, null));
        var party = CreateTestProbe();

        SendWait(party, barrier, null);

        AssertBroken(await party.ExpectMsgAsync<Failed>(Wait));
    }

    [Fact]
    public async Task Wait_with_zero_timeout_breaks_the_barrier_when_it_is_not_complete_B03()
    {
        var barrier = NewBarrier(2);
        var party = CreateTestProbe();

        SendWait(party, barrier, NoWait);

        AssertBroken(await party.ExpectMsgAsync<Failed>(Wait));
        Assert.True((await StateAsync(barrier)).Broken);
    }

    [Fact]
    public async Task Wait_on_a_broken_barrier_fails_at_once_B04()
    {
        var barrier = NewBarrier(2);
        await AbortAsync(barrier);
        var party = CreateTestProbe();

        var id = SendWait(party, barrier, Forever);

        var failed = await party.ExpectMsgAsync<Failed>(Wait);
        Assert.Equal(id, failed.CallId);
        AssertBroken(failed);
    }

    [Fact]
    public async Task Abort_breaks_the_current_waiters_and_the_barrier_stays_broken_until_Reset_B05()
    {
        var barrier = NewBarrier(3);
        var waiter = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        await waiter.ExpectNoMsgAsync(Quiet);

        await AbortAsync(barrier);

        AssertBroken(await waiter.ExpectMsgAsync<Failed>(Wait));
        Assert.True((await StateAsync(barrier)).Broken);
        await ResetAsync(barrier);
        Assert.False((await StateAsync(barrier)).Broken);
    }

    [Fact]
    public async Task Reset_breaks_the_current_waiters_and_the_barrier_is_usable_again_B06()
    {
        var barrier = NewBarrier(2);
        var waiter = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        await waiter.ExpectNoMsgAsync(Quiet);

        await ResetAsync(barrier);

        AssertBroken(await waiter.ExpectMsgAsync<Failed>(Wait));
        Assert.Equal((2, 0, false), await StateAsync(barrier));
        var other = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        SendWait(other, barrier, Forever);
        Assert.Equal(0, (await waiter.ExpectMsgAsync<Number>(Wait)).Value);
        Assert.Equal(1, (await other.ExpectMsgAsync<Number>(Wait)).Value);
    }

    // ----- the action (B-07) -----

    [Fact]
    public async Task Last_party_is_told_to_run_the_action_and_the_others_are_released_only_after_it_reports_B07()
    {
        var barrier = NewBarrier(2, NoOpAction);
        var waiter = CreateTestProbe();
        var last = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        var id = SendWait(last, barrier, Forever);

        var run = await last.ExpectMsgAsync<RunAction>(Wait);
        Assert.Equal((id, 1), (run.CallId, run.Index));
        Assert.Equal(NoOpAction.CacheKey, run.Action.CacheKey);
        await waiter.ExpectNoMsgAsync(Quiet);

        await ActionDoneAsync(last, barrier, run.Generation, null);

        Assert.Equal(0, (await waiter.ExpectMsgAsync<Number>(Wait)).Value);
        Assert.False((await StateAsync(barrier)).Broken);
    }

    [Fact]
    public async Task ActionDone_with_an_error_breaks_the_barrier_for_the_other_parties_B07()
    {
        var barrier = NewBarrier(2, NoOpAction);
        var waiter = CreateTestProbe();
        var last = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        SendWait(last, barrier, Forever);
        var run = await last.ExpectMsgAsync<RunAction>(Wait);

        await ActionDoneAsync(last, barrier, run.Generation, RemoteError.From(new InvalidOperationException("action failed")));

        var failed = await waiter.ExpectMsgAsync<Failed>(Wait);
        AssertBroken(failed);
        Assert.Contains("action failed", failed.Error.Message, StringComparison.Ordinal);
        Assert.True((await StateAsync(barrier)).Broken);
    }

    [Fact]
    public async Task Wait_arriving_while_the_action_runs_joins_the_next_generation()
    {
        var barrier = NewBarrier(2, NoOpAction);
        var waiter = CreateTestProbe();
        var last = CreateTestProbe();
        var early = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        SendWait(last, barrier, Forever);
        var run = await last.ExpectMsgAsync<RunAction>(Wait);
        SendWait(early, barrier, Forever);
        await early.ExpectNoMsgAsync(Quiet);

        await ActionDoneAsync(last, barrier, run.Generation, null);

        Assert.Equal(0, (await waiter.ExpectMsgAsync<Number>(Wait)).Value);
        await early.ExpectNoMsgAsync(Quiet);
        Assert.Equal((2, 1, false), await StateAsync(barrier));
    }

    [Fact]
    public async Task Timeout_of_a_waiter_while_the_action_runs_does_not_break_the_barrier()
    {
        var barrier = NewBarrier(2, NoOpAction);
        var waiter = CreateTestProbe();
        var last = CreateTestProbe();
        SendWait(waiter, barrier, 300);
        SendWait(last, barrier, Forever);
        var run = await last.ExpectMsgAsync<RunAction>(Wait);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(600));

        await ActionDoneAsync(last, barrier, run.Generation, null);

        Assert.Equal(0, (await waiter.ExpectMsgAsync<Number>(Wait)).Value);
    }

    [Fact]
    public async Task Terminated_of_the_party_running_the_action_breaks_the_barrier()
    {
        var barrier = NewBarrier(2, NoOpAction);
        var waiter = CreateTestProbe();
        var runner = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        SendWait(runner, barrier, Forever);
        await runner.ExpectMsgAsync<RunAction>(Wait);

        Sys.Stop(runner);

        AssertBroken(await waiter.ExpectMsgAsync<Failed>(Wait));
    }

    // ----- withdrawal and process death -----

    [Fact]
    public async Task Terminated_of_a_waiting_party_breaks_the_barrier_for_the_others()
    {
        var barrier = NewBarrier(3);
        var doomed = CreateTestProbe();
        var survivor = CreateTestProbe();
        SendWait(doomed, barrier, Forever);
        SendWait(survivor, barrier, Forever);
        await survivor.ExpectNoMsgAsync(Quiet);

        Sys.Stop(doomed);

        AssertBroken(await survivor.ExpectMsgAsync<Failed>(Wait));
        Assert.True((await StateAsync(barrier)).Broken);
    }

    [Fact]
    public async Task Terminated_of_a_party_that_already_passed_does_not_break_the_barrier()
    {
        var barrier = NewBarrier(2);
        var passed = CreateTestProbe();
        var other = CreateTestProbe();
        SendWait(passed, barrier, Forever);
        SendWait(other, barrier, Forever);
        await passed.ExpectMsgAsync<Number>(Wait);
        await other.ExpectMsgAsync<Number>(Wait);
        var watcher = CreateTestProbe();
        watcher.Watch(passed);

        Sys.Stop(passed);
        await watcher.ExpectTerminatedAsync(passed, Wait);
        await Task.Delay(200);

        Assert.False((await StateAsync(barrier)).Broken);
    }

    [Fact]
    public async Task Cancel_of_a_parked_wait_breaks_the_barrier_for_everyone()
    {
        var barrier = NewBarrier(3);
        var quitter = CreateTestProbe();
        var other = CreateTestProbe();
        var id = SendWait(quitter, barrier, Forever);
        SendWait(other, barrier, Forever);
        await other.ExpectNoMsgAsync(Quiet);

        quitter.Send(barrier, new Cancel(id));

        AssertBroken(await quitter.ExpectMsgAsync<Failed>(Wait));
        AssertBroken(await other.ExpectMsgAsync<Failed>(Wait));
    }

    [Fact]
    public async Task Cancel_of_a_wait_deferred_while_the_action_runs_replies_Withdrawn_and_breaks_nothing()
    {
        var barrier = NewBarrier(2, NoOpAction);
        var waiter = CreateTestProbe();
        var last = CreateTestProbe();
        var early = CreateTestProbe();
        SendWait(waiter, barrier, Forever);
        SendWait(last, barrier, Forever);
        var run = await last.ExpectMsgAsync<RunAction>(Wait);
        var id = SendWait(early, barrier, Forever);

        early.Send(barrier, new Cancel(id));

        Assert.Equal(id, (await early.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await ActionDoneAsync(last, barrier, run.Generation, null);
        Assert.Equal(0, (await waiter.ExpectMsgAsync<Number>(Wait)).Value);
        Assert.Equal((2, 0, false), await StateAsync(barrier));
    }

    // ----- helpers -----

    private static void NoOp()
    {
    }

    private IActorRef NewBarrier(int parties, FunctionSpec? action = null) =>
        Sys.ActorOf(BarrierActor.Props(parties, Forever, action));

    private static long SendWait(TestProbe party, IActorRef target, long? timeoutMs)
    {
        var id = NextCallId();
        party.Send(target, new BarrierProtocol.Wait(id, timeoutMs));
        return id;
    }

    private static void AssertBroken(Failed failed) =>
        Assert.IsType<BrokenBarrierException>(failed.Error.ToException("test"));

    private static async Task ActionDoneAsync(TestProbe runner, IActorRef target, long generation, RemoteError? error)
    {
        var id = NextCallId();
        runner.Send(target, new ActionDone(id, generation, error));
        Assert.Equal(id, (await runner.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    private async Task AbortAsync(IActorRef target)
    {
        var probe = CreateTestProbe();
        var id = NextCallId();
        probe.Send(target, new Abort(id));
        Assert.Equal(id, (await probe.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    private async Task ResetAsync(IActorRef target)
    {
        var probe = CreateTestProbe();
        var id = NextCallId();
        probe.Send(target, new Reset(id));
        Assert.Equal(id, (await probe.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    private async Task<(int Parties, int Waiting, bool Broken)> StateAsync(IActorRef target)
    {
        var probe = CreateTestProbe();
        var id = NextCallId();
        probe.Send(target, new GetState(id));
        var state = await probe.ExpectMsgAsync<State>(Wait);
        Assert.Equal(id, state.CallId);
        return (state.Parties, state.Waiting, state.Broken);
    }
}
