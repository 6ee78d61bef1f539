using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Locks;

/// <summary>
/// The actor behind <c>Lock</c>, <c>Semaphore</c> and <c>BoundedSemaphore</c>, without processes: test probes play the
/// callers (each probe stands for one process's reply actor). Spec ids refer to /work/shared/spec/python-semantics.md
/// (§1.11 L-, §1.13 S-/BS-, pain point 11).
/// </summary>
public sealed class SemaphoreActorTests : ActorTestKit
{

    public SemaphoreActorTests(ITestOutputHelper output)
        : base(output)
    {
    }

    // ----- Lock: acquire and release (L-01..L-06) -----

    [Fact]
    public async Task Acquire_replies_Flag_true_not_abandoned_when_the_lock_is_free_L01()
    {
        var lk = NewLock();
        var caller = CreateTestProbe();

        var flag = await AcquireAsync(caller, lk, Forever);

        Assert.True(flag.Value);
        Assert.False(flag.Abandoned);
        Assert.Equal(0, await ValueAsync(lk));
    }

    [Fact]
    public async Task Acquire_with_timeout_zero_replies_false_at_once_when_the_lock_is_held_L02()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var other = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);

        Assert.False((await AcquireAsync(other, lk, NoWait)).Value);

        // The holder's own second non-blocking acquire fails too: a Lock is not reentrant (L-04).
        Assert.False((await AcquireAsync(holder, lk, NoWait)).Value);
    }

    [Fact]
    public async Task Acquire_with_a_timeout_replies_false_after_the_deadline_when_the_lock_stays_held_L03()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);

        var clock = Stopwatch.StartNew();
        var id = Send(waiter, lk, 300);
        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        clock.Stop();

        Assert.Equal(id, flag.CallId);
        Assert.False(flag.Value);
        Assert.True(clock.ElapsedMilliseconds >= 250, $"replied after {clock.ElapsedMilliseconds} ms, before the 300 ms deadline");
    }

    [Fact]
    public async Task Acquire_that_timed_out_is_not_granted_when_the_lock_is_released_later_L03()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        Assert.False((await AcquireAsync(waiter, lk, 100)).Value);

        await ReleaseAsync(holder, lk);

        await waiter.ExpectNoMsgAsync(Quiet);
        Assert.Equal(1, await ValueAsync(lk));
    }

    [Fact]
    public async Task Acquire_with_a_timeout_replies_true_when_the_lock_is_released_before_the_deadline()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        var id = Send(waiter, lk, 10_000);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        await ReleaseAsync(holder, lk);

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        Assert.True(flag.Value);

        // The cancelled deadline does not produce a second reply.
        await waiter.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Cancel_answers_Withdrawn_and_drops_a_parked_waiter_so_the_next_release_frees_the_lock()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        var id = Send(waiter, lk, Forever);

        waiter.Send(lk, new Cancel(id));
        Assert.Equal(id, (await waiter.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await ReleaseAsync(holder, lk);

        await waiter.ExpectNoMsgAsync(Quiet);
        Assert.Equal(1, await ValueAsync(lk));
    }

    [Fact]
    public async Task Cancel_of_one_waiter_keeps_the_others_in_arrival_order()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var third = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        Send(first, lk, Forever);
        var secondId = Send(second, lk, Forever);
        var thirdId = Send(third, lk, Forever);

        second.Send(lk, new Cancel(secondId));
        Assert.Equal(secondId, (await second.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await ReleaseAsync(holder, lk);

        await first.ExpectMsgAsync<Flag>(f => f.Value, Wait);
        await ReleaseAsync(first, lk);
        var granted = await third.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(thirdId, granted.CallId);
        Assert.True(granted.Value);
        await second.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Cancel_after_the_grant_is_ignored_and_the_caller_keeps_the_lock()
    {
        // The grant and the cancel cross: the grant stands (the caller's side completes with it), nothing is lost.
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        var id = Send(waiter, lk, Forever);
        await ReleaseAsync(holder, lk);
        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);

        waiter.Send(lk, new Cancel(id));

        await waiter.ExpectNoMsgAsync(Quiet);
        Assert.Equal(0, await ValueAsync(lk));
        await ReleaseAsync(waiter, lk);
    }

    [Fact]
    public async Task Cancel_of_a_request_that_timed_out_gets_no_second_answer()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        var flag = await AcquireAsync(waiter, lk, 50);
        Assert.False(flag.Value);

        waiter.Send(lk, new Cancel(flag.CallId));

        await waiter.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Release_grants_waiters_in_arrival_order_FIFO()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiters = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToList();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        var ids = waiters.Select(w => Send(w, lk, Forever)).ToList();

        var previous = holder;
        for (var i = 0; i < waiters.Count; i++)
        {
            await ReleaseAsync(previous, lk);
            var flag = await waiters[i].ExpectMsgAsync<Flag>(Wait);
            Assert.Equal(ids[i], flag.CallId);
            Assert.True(flag.Value);
            foreach (var later in waiters.Skip(i + 1))
            {
                later.ExpectNoMsg(TimeSpan.Zero);
            }

            previous = waiters[i];
        }

        await ReleaseAsync(previous, lk);
        Assert.Equal(1, await ValueAsync(lk));
    }

    [Fact]
    public async Task Acquire_without_waiting_fails_when_others_are_queued_even_right_after_a_release()
    {
        // Fairness: a release hands the lock straight to the first waiter, so a newcomer cannot barge in.
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        var newcomer = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        Send(waiter, lk, Forever);

        await ReleaseAsync(holder, lk);
        Assert.False((await AcquireAsync(newcomer, lk, NoWait)).Value);

        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    [Fact]
    public async Task Release_by_a_caller_that_does_not_hold_the_lock_succeeds_L05()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var other = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);

        await ReleaseAsync(other, lk);

        Assert.Equal(1, await ValueAsync(lk));
        Assert.True((await AcquireAsync(other, lk, NoWait)).Value);
    }

    [Fact]
    public async Task Release_replies_Failed_with_SemaphoreFullException_when_the_lock_is_not_held_L06()
    {
        var lk = NewLock();
        var caller = CreateTestProbe();

        var id = NextCallId();
        caller.Send(lk, new Release(id, 0));

        var failed = await caller.ExpectMsgAsync<Failed>(Wait);
        Assert.Equal(id, failed.CallId);
        var error = failed.Error.ToException("test");
        Assert.IsType<SemaphoreFullException>(error);
        Assert.Contains("L-06", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await ValueAsync(lk));
    }

    [Fact]
    public async Task Release_twice_after_one_acquire_fails_the_second_time_and_keeps_the_lock_free_L06()
    {
        var lk = NewLock();
        var caller = CreateTestProbe();
        Assert.True((await AcquireAsync(caller, lk, Forever)).Value);
        await ReleaseAsync(caller, lk);

        caller.Send(lk, new Release(NextCallId(), 0));

        Assert.IsType<SemaphoreFullException>((await caller.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
        Assert.Equal(1, await ValueAsync(lk));
    }

    [Fact]
    public async Task GetValue_is_one_when_the_lock_is_free_and_zero_when_held()
    {
        var lk = NewLock();
        var caller = CreateTestProbe();
        Assert.Equal(1, await ValueAsync(lk));

        Assert.True((await AcquireAsync(caller, lk, Forever)).Value);

        Assert.Equal(0, await ValueAsync(lk));
    }

    // ----- Lock: a holder that dies (L-09 target, pain point 11) -----

    [Fact]
    public async Task Terminated_of_the_holder_grants_the_first_waiter_with_Abandoned_true_L09()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        var watcher = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        var id = Send(waiter, lk, Forever);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        watcher.Watch(holder);
        Sys.Stop(holder);
        await watcher.ExpectTerminatedAsync(holder, Wait);

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        Assert.True(flag.Value);
        Assert.True(flag.Abandoned);
    }

    [Fact]
    public async Task Terminated_of_the_holder_frees_the_lock_and_the_next_acquire_is_told_Abandoned_once_L09()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var next = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);

        Sys.Stop(holder);
        await AwaitAssertAsync(async () => Assert.Equal(1, await ValueAsync(lk)), Wait);

        var flag = await AcquireAsync(next, lk, NoWait);
        Assert.True(flag.Value);
        Assert.True(flag.Abandoned);

        // Only the first owner after the death is told.
        await ReleaseAsync(next, lk);
        var again = await AcquireAsync(next, lk, NoWait);
        Assert.True(again.Value);
        Assert.False(again.Abandoned);
    }

    [Fact]
    public async Task Terminated_of_a_former_holder_does_not_release_the_lock_held_by_someone_else()
    {
        var lk = NewLock();
        var former = CreateTestProbe();
        var current = CreateTestProbe();
        var other = CreateTestProbe();
        var watcher = CreateTestProbe();
        Assert.True((await AcquireAsync(former, lk, Forever)).Value);
        await ReleaseAsync(former, lk);
        Assert.True((await AcquireAsync(current, lk, Forever)).Value);

        watcher.Watch(former);
        Sys.Stop(former);
        await watcher.ExpectTerminatedAsync(former, Wait);
        await Task.Delay(200);

        Assert.Equal(0, await ValueAsync(lk));
        Assert.False((await AcquireAsync(other, lk, NoWait)).Value);
    }

    [Fact]
    public async Task Terminated_of_a_holder_whose_lock_someone_else_released_does_not_add_a_second_unit_L05()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var releaser = CreateTestProbe();
        var watcher = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        await ReleaseAsync(releaser, lk);

        watcher.Watch(holder);
        Sys.Stop(holder);
        await watcher.ExpectTerminatedAsync(holder, Wait);
        await Task.Delay(200);

        Assert.Equal(1, await ValueAsync(lk));
        var flag = await AcquireAsync(releaser, lk, NoWait);
        Assert.True(flag.Value);
        Assert.False(flag.Abandoned);
        Assert.False((await AcquireAsync(CreateTestProbe(), lk, NoWait)).Value);
    }

    [Fact]
    public async Task Terminated_of_a_parked_waiter_drops_its_request()
    {
        var lk = NewLock();
        var holder = CreateTestProbe();
        var doomed = CreateTestProbe();
        var watcher = CreateTestProbe();
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        Send(doomed, lk, Forever);
        await Task.Delay(100);

        watcher.Watch(doomed);
        Sys.Stop(doomed);
        await watcher.ExpectTerminatedAsync(doomed, Wait);
        await Task.Delay(200);
        await ReleaseAsync(holder, lk);

        // Not handed to the dead waiter: the lock is free.
        Assert.Equal(1, await ValueAsync(lk));
    }

    // ----- Semaphore and BoundedSemaphore (S-01..S-04, BS-01) -----

    [Fact]
    public async Task Acquire_counts_down_to_zero_then_fails_without_waiting_S01()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(2, null, isLock: false));
        var caller = CreateTestProbe();

        Assert.True((await AcquireAsync(caller, sem, NoWait)).Value);
        Assert.Equal(1, await ValueAsync(sem));
        Assert.True((await AcquireAsync(caller, sem, NoWait)).Value);
        Assert.Equal(0, await ValueAsync(sem));
        Assert.False((await AcquireAsync(caller, sem, NoWait)).Value);
    }

    [Fact]
    public async Task Release_beyond_the_initial_value_increments_without_error_S02()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(2, null, isLock: false));
        var caller = CreateTestProbe();

        await ReleaseAsync(caller, sem);
        await ReleaseAsync(caller, sem);

        Assert.Equal(4, await ValueAsync(sem));
    }

    [Fact]
    public async Task Acquire_on_a_zero_semaphore_replies_false_after_the_timeout_S04()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(0, null, isLock: false));
        var caller = CreateTestProbe();

        var clock = Stopwatch.StartNew();
        var flag = await AcquireAsync(caller, sem, 300);
        clock.Stop();

        Assert.False(flag.Value);
        Assert.True(clock.ElapsedMilliseconds >= 250, $"replied after {clock.ElapsedMilliseconds} ms, before the 300 ms deadline");
    }

    [Fact]
    public async Task Release_of_several_units_wakes_as_many_waiters_in_arrival_order()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(0, null, isLock: false));
        var waiters = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        var releaser = CreateTestProbe();
        foreach (var waiter in waiters)
        {
            Send(waiter, sem, Forever);
        }

        await ReleaseAsync(releaser, sem);
        Assert.True((await waiters[0].ExpectMsgAsync<Flag>(Wait)).Value);
        await waiters[1].ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        await ReleaseAsync(releaser, sem);
        Assert.True((await waiters[1].ExpectMsgAsync<Flag>(Wait)).Value);
        await waiters[2].ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, await ValueAsync(sem));
    }

    [Fact]
    public async Task Terminated_of_an_acquirer_does_not_give_back_a_semaphore_unit()
    {
        // Semaphores have no owner (as in Python): a unit taken by a process that died stays taken.
        var sem = Sys.ActorOf(SemaphoreActor.Props(1, null, isLock: false));
        var taker = CreateTestProbe();
        var watcher = CreateTestProbe();
        Assert.True((await AcquireAsync(taker, sem, NoWait)).Value);

        watcher.Watch(taker);
        Sys.Stop(taker);
        await watcher.ExpectTerminatedAsync(taker, Wait);
        await Task.Delay(200);

        Assert.Equal(0, await ValueAsync(sem));
    }

    [Fact]
    public async Task Release_above_the_maximum_replies_Failed_with_SemaphoreFullException_BS01()
    {
        var sem = Sys.ActorOf(SemaphoreActor.Props(2, 2, isLock: false));
        var caller = CreateTestProbe();
        Assert.True((await AcquireAsync(caller, sem, NoWait)).Value);
        await ReleaseAsync(caller, sem);

        var id = NextCallId();
        caller.Send(sem, new Release(id, 0));

        var failed = await caller.ExpectMsgAsync<Failed>(Wait);
        Assert.Equal(id, failed.CallId);
        var error = failed.Error.ToException("test");
        Assert.IsType<SemaphoreFullException>(error);
        Assert.Contains("released too many times", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, await ValueAsync(sem));
    }

    [Fact]
    public async Task Acquire_with_a_very_long_timeout_parks_the_request_and_keeps_the_actor_alive()
    {
        // A timeout of a year (or TimeSpan.MaxValue through the proxy) is a legal "wait a long time".
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        var watcher = CreateTestProbe();
        watcher.Watch(lk);
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);

        Send(waiter, lk, (long)TimeSpan.FromDays(365).TotalMilliseconds);
        await waiter.ExpectNoMsgAsync(Quiet);
        await ReleaseAsync(holder, lk);

        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
        await watcher.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Acquire_waits_instead_of_timing_out_at_once_when_the_timeout_is_TimeSpan_MaxValue()
    {
        // Lock.Acquire(timeout: TimeSpan.MaxValue) sends this TimeoutMs: it must mean "wait (practically) forever",
        // not time out at once. A short timed wait first, so the scheduler has been running for a while.
        var lk = NewLock();
        var holder = CreateTestProbe();
        var waiter = CreateTestProbe();
        var watcher = CreateTestProbe();
        watcher.Watch(lk);
        Assert.True((await AcquireAsync(holder, lk, Forever)).Value);
        Assert.False((await AcquireAsync(waiter, lk, 50)).Value);

        Send(waiter, lk, SharedObjects.TimeoutMs(true, TimeSpan.MaxValue));
        await waiter.ExpectNoMsgAsync(Quiet);
        await ReleaseAsync(holder, lk);

        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
        await watcher.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, await ValueAsync(lk));
    }

    // ----- helpers -----

    private IActorRef NewLock() => Sys.ActorOf(SemaphoreActor.Props(1, 1, isLock: true));

    private static long Send(TestProbe caller, IActorRef target, long timeoutMs) =>
        Send(caller, target, id => new Acquire(id, 0, timeoutMs));

    private static Task<Flag> AcquireAsync(TestProbe caller, IActorRef target, long timeoutMs) => AcquireAsync(caller, target, 0, timeoutMs);

    private static Task<Done> ReleaseAsync(TestProbe caller, IActorRef target) => ReleaseAsync(caller, target, 0);

    private Task<long> ValueAsync(IActorRef target) => ValueOfAsync(target);
}
