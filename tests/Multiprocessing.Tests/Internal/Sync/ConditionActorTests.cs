using Akka.Actor;
using Akka.TestKit;
using Multiprocessing.Internal.Sync;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Sync;

/// <summary>
/// The actor behind <c>Condition</c>, without processes: test probes play the callers' reply actors (one per process)
/// and the <c>Thread</c> field names the calling thread. Spec ids refer to /work/shared/spec/python-semantics.md
/// (§1.14 C-, §1.12 RL-, §2.3 item 3).
/// </summary>
public sealed class ConditionActorTests : ActorTestKit
{
    private const long MainThread = 1;
    private const long OtherThread = 2;

    public ConditionActorTests(ITestOutputHelper output)
        : base(output)
    {
    }

    // ----- the lock (C-01) -----

    [Fact]
    public async Task Acquire_is_reentrant_for_the_owner_thread_and_refused_to_others_C01()
    {
        var condition = NewCondition();
        var owner = CreateTestProbe();
        var other = CreateTestProbe();

        Assert.True((await AcquireAsync(owner, condition, MainThread, NoWait)).Value);
        Assert.True((await AcquireAsync(owner, condition, MainThread, NoWait)).Value);
        Assert.False((await AcquireAsync(owner, condition, OtherThread, NoWait)).Value);
        Assert.False((await AcquireAsync(other, condition, MainThread, NoWait)).Value);

        Assert.Equal(2, await DepthAsync(condition));
    }

    [Fact]
    public async Task Acquire_with_a_timeout_replies_false_when_the_lock_stays_held()
    {
        var condition = NewCondition();
        var owner = CreateTestProbe();
        var other = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, condition, MainThread, Forever)).Value);

        Assert.False((await AcquireAsync(other, condition, MainThread, 200)).Value);

        await ReleaseAsync(owner, condition, MainThread);
        Assert.Equal(0, await DepthAsync(condition));
    }

    [Fact]
    public async Task Release_by_a_thread_that_does_not_own_the_lock_replies_SynchronizationLockException()
    {
        var condition = NewCondition();
        var owner = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, condition, MainThread, Forever)).Value);

        var id = NextCallId();
        owner.Send(condition, new Release(id, OtherThread));

        var failed = await owner.ExpectMsgAsync<Failed>(Wait);
        Assert.IsType<SynchronizationLockException>(failed.Error.ToException("test"));
    }

    // ----- wait and notify need the lock (C-02) -----

    [Fact]
    public async Task Wait_replies_InvalidOperationException_when_the_caller_does_not_own_the_lock_C02()
    {
        var condition = NewCondition();
        var owner = CreateTestProbe();
        var stranger = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, condition, MainThread, Forever)).Value);

        var id = SendWait(stranger, condition, MainThread, Forever);
        var failed = await stranger.ExpectMsgAsync<Failed>(Wait);
        Assert.Equal(id, failed.CallId);
        Assert.IsType<InvalidOperationException>(failed.Error.ToException("test"));

        SendWait(owner, condition, OtherThread, Forever);
        Assert.IsType<InvalidOperationException>((await owner.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
        Assert.Equal(1, await DepthAsync(condition));
    }

    [Fact]
    public async Task Notify_replies_InvalidOperationException_when_the_caller_does_not_own_the_lock_C02()
    {
        var condition = NewCondition();
        var stranger = CreateTestProbe();

        var id = NextCallId();
        stranger.Send(condition, new ConditionProtocol.Notify(id, MainThread, 1));

        var failed = await stranger.ExpectMsgAsync<Failed>(Wait);
        Assert.Equal(id, failed.CallId);
        Assert.IsType<InvalidOperationException>(failed.Error.ToException("test"));
    }

    // ----- wait (C-03, C-04) -----

    [Fact]
    public async Task Wait_releases_a_recursive_lock_completely_and_restores_its_depth_when_notified_C04()
    {
        var condition = NewCondition();
        var waiter = CreateTestProbe();
        var notifier = CreateTestProbe();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await AcquireAsync(waiter, condition, MainThread, Forever)).Value);
        }

        var id = SendWait(waiter, condition, MainThread, Forever);

        // The lock is free for another process while the waiter waits.
        Assert.True((await AcquireAsync(notifier, condition, MainThread, NoWait)).Value);
        Assert.Equal(1, await DepthAsync(condition));
        await NotifyAsync(notifier, condition, MainThread, 1);
        await waiter.ExpectNoMsgAsync(Quiet);
        await ReleaseAsync(notifier, condition, MainThread);

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal((id, true), (flag.CallId, flag.Value));
        Assert.Equal(3, await DepthAsync(condition));
        for (var i = 0; i < 3; i++)
        {
            await ReleaseAsync(waiter, condition, MainThread);
        }

        Assert.Equal(0, await DepthAsync(condition));
    }

    [Fact]
    public async Task Wait_replies_false_after_its_timeout_once_it_owns_the_lock_again_C03()
    {
        var condition = NewCondition();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(waiter, condition, MainThread, Forever)).Value);

        var id = SendWait(waiter, condition, MainThread, 200);

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal((id, false), (flag.CallId, flag.Value));
        Assert.Equal(1, await DepthAsync(condition));
        await ReleaseAsync(waiter, condition, MainThread);
    }

    [Fact]
    public async Task Wait_with_zero_timeout_replies_false_with_the_lock_owned_again_C03()
    {
        var condition = NewCondition();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(waiter, condition, MainThread, Forever)).Value);

        SendWait(waiter, condition, MainThread, NoWait);

        Assert.False((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
        await ReleaseAsync(waiter, condition, MainThread);
    }

    [Fact]
    public async Task Wait_that_timed_out_waits_for_the_lock_before_replying()
    {
        var condition = NewCondition();
        var waiter = CreateTestProbe();
        var holder = CreateTestProbe();
        Assert.True((await AcquireAsync(waiter, condition, MainThread, Forever)).Value);
        var acquireId = NextCallId();
        holder.Send(condition, new Acquire(acquireId, MainThread, Forever));
        await holder.ExpectNoMsgAsync(Quiet);

        // The wait hands the lock to the parked acquire; the timeout then fires while the holder owns it.
        SendWait(waiter, condition, MainThread, 100);
        Assert.True((await holder.ExpectMsgAsync<Flag>(Wait)).Value);
        await waiter.ExpectNoMsgAsync(Quiet);
        await ReleaseAsync(holder, condition, MainThread);

        Assert.False((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
        Assert.Equal(1, await DepthAsync(condition));
    }

    // ----- notify (C-06) -----

    [Fact]
    public async Task Notify_wakes_at_most_n_waiters_oldest_first_then_the_rest_and_then_nobody_C06()
    {
        // test_notify_n: notify(2) wakes two, notify(4) the remaining one, notify(3) nobody.
        var condition = NewCondition();
        var waiters = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };
        var notifier = CreateTestProbe();
        var ids = new List<long>();
        foreach (var waiter in waiters)
        {
            Assert.True((await AcquireAsync(waiter, condition, MainThread, Forever)).Value);
            ids.Add(SendWait(waiter, condition, MainThread, Forever));
        }

        Assert.True((await AcquireAsync(notifier, condition, MainThread, Forever)).Value);
        await NotifyAsync(notifier, condition, MainThread, 2);
        await ReleaseAsync(notifier, condition, MainThread);

        Assert.Equal(ids[0], (await waiters[0].ExpectMsgAsync<Flag>(Wait)).CallId);
        await ReleaseAsync(waiters[0], condition, MainThread);
        Assert.Equal(ids[1], (await waiters[1].ExpectMsgAsync<Flag>(Wait)).CallId);
        await ReleaseAsync(waiters[1], condition, MainThread);
        await waiters[2].ExpectNoMsgAsync(Quiet);

        Assert.True((await AcquireAsync(notifier, condition, MainThread, Forever)).Value);
        await NotifyAsync(notifier, condition, MainThread, 4);
        await ReleaseAsync(notifier, condition, MainThread);
        var last = await waiters[2].ExpectMsgAsync<Flag>(Wait);
        Assert.True(last.Value);
        await ReleaseAsync(waiters[2], condition, MainThread);

        Assert.True((await AcquireAsync(notifier, condition, MainThread, Forever)).Value);
        await NotifyAsync(notifier, condition, MainThread, 3);
        await ReleaseAsync(notifier, condition, MainThread);
        Assert.Equal(0, await DepthAsync(condition));
    }

    [Fact]
    public async Task NotifyAll_wakes_every_waiter_C06()
    {
        var condition = NewCondition();
        var waiters = new[] { CreateTestProbe(), CreateTestProbe(), CreateTestProbe() };
        var notifier = CreateTestProbe();
        foreach (var waiter in waiters)
        {
            Assert.True((await AcquireAsync(waiter, condition, MainThread, Forever)).Value);
            SendWait(waiter, condition, MainThread, Forever);
        }

        Assert.True((await AcquireAsync(notifier, condition, MainThread, Forever)).Value);
        await NotifyAsync(notifier, condition, MainThread, int.MaxValue);
        await ReleaseAsync(notifier, condition, MainThread);

        foreach (var waiter in waiters)
        {
            Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
            await ReleaseAsync(waiter, condition, MainThread);
        }
    }

    [Fact]
    public async Task Notify_does_not_count_a_waiter_whose_timeout_already_fired_C06()
    {
        var condition = NewCondition();
        var expired = CreateTestProbe();
        var patient = CreateTestProbe();
        var notifier = CreateTestProbe();
        Assert.True((await AcquireAsync(expired, condition, MainThread, Forever)).Value);
        SendWait(expired, condition, MainThread, 100);
        Assert.False((await expired.ExpectMsgAsync<Flag>(Wait)).Value);
        await ReleaseAsync(expired, condition, MainThread);
        Assert.True((await AcquireAsync(patient, condition, MainThread, Forever)).Value);
        SendWait(patient, condition, MainThread, Forever);

        Assert.True((await AcquireAsync(notifier, condition, MainThread, Forever)).Value);
        await NotifyAsync(notifier, condition, MainThread, 1);
        await ReleaseAsync(notifier, condition, MainThread);

        Assert.True((await patient.ExpectMsgAsync<Flag>(Wait)).Value);
        await expired.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Notify_with_no_waiters_is_a_no_op_C06()
    {
        var condition = NewCondition();
        var notifier = CreateTestProbe();
        Assert.True((await AcquireAsync(notifier, condition, MainThread, Forever)).Value);

        await NotifyAsync(notifier, condition, MainThread, 1);
        await NotifyAsync(notifier, condition, MainThread, int.MaxValue);

        Assert.Equal(1, await DepthAsync(condition));
    }

    // ----- withdrawal and process death -----

    [Fact]
    public async Task Cancel_of_a_parked_wait_replies_false_once_the_lock_is_owned_again()
    {
        var condition = NewCondition();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(waiter, condition, MainThread, Forever)).Value);
        var id = SendWait(waiter, condition, MainThread, Forever);
        await waiter.ExpectNoMsgAsync(Quiet);

        waiter.Send(condition, new Cancel(id));

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal((id, false), (flag.CallId, flag.Value));
        Assert.Equal(1, await DepthAsync(condition));
    }

    [Fact]
    public async Task Cancel_of_a_parked_acquire_replies_Withdrawn_and_drops_it()
    {
        var condition = NewCondition();
        var owner = CreateTestProbe();
        var other = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, condition, MainThread, Forever)).Value);
        var id = NextCallId();
        other.Send(condition, new Acquire(id, MainThread, Forever));
        await other.ExpectNoMsgAsync(Quiet);

        other.Send(condition, new Cancel(id));

        Assert.Equal(id, (await other.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await ReleaseAsync(owner, condition, MainThread);
        Assert.Equal(0, await DepthAsync(condition));
    }

    [Fact]
    public async Task Terminated_of_the_owner_releases_the_lock_and_the_next_owner_sees_it_abandoned()
    {
        var condition = NewCondition();
        var doomed = CreateTestProbe();
        var next = CreateTestProbe();
        Assert.True((await AcquireAsync(doomed, condition, MainThread, Forever)).Value);
        Assert.True((await AcquireAsync(doomed, condition, MainThread, Forever)).Value);
        var id = NextCallId();
        next.Send(condition, new Acquire(id, MainThread, Forever));
        await next.ExpectNoMsgAsync(Quiet);

        Sys.Stop(doomed);

        var flag = await next.ExpectMsgAsync<Flag>(Wait);
        Assert.True(flag.Value);
        Assert.True(flag.Abandoned);
        Assert.Equal(1, await DepthAsync(condition));
    }

    [Fact]
    public async Task Terminated_of_a_parked_waiter_drops_its_wait_so_notify_wakes_the_next_one()
    {
        var condition = NewCondition();
        var doomed = CreateTestProbe();
        var survivor = CreateTestProbe();
        var notifier = CreateTestProbe();
        Assert.True((await AcquireAsync(doomed, condition, MainThread, Forever)).Value);
        SendWait(doomed, condition, MainThread, Forever);
        Assert.True((await AcquireAsync(survivor, condition, MainThread, Forever)).Value);
        SendWait(survivor, condition, MainThread, Forever);
        var watcher = CreateTestProbe();
        watcher.Watch(doomed);
        Sys.Stop(doomed);
        await watcher.ExpectTerminatedAsync(doomed, Wait);
        await Task.Delay(200);

        Assert.True((await AcquireAsync(notifier, condition, MainThread, Forever)).Value);
        await NotifyAsync(notifier, condition, MainThread, 1);
        await ReleaseAsync(notifier, condition, MainThread);

        Assert.True((await survivor.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    // ----- helpers -----

    private IActorRef NewCondition() => Sys.ActorOf(ConditionActor.Props());

    private static long SendWait(TestProbe caller, IActorRef target, long thread, long timeoutMs) =>
        Send(caller, target, id => new ConditionProtocol.Wait(id, thread, timeoutMs));

    private static Task<Done> NotifyAsync(TestProbe caller, IActorRef target, long thread, int count) =>
        CallAsync<Done>(caller, target, id => new ConditionProtocol.Notify(id, thread, count));

    private Task<long> DepthAsync(IActorRef target) => ValueOfAsync(target);
}
