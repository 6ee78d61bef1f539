using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Locks;

/// <summary>
/// The actor behind <c>RLock</c>, without processes: test probes play the callers' reply actors (one per process) and
/// the <c>Thread</c> field of each request names the calling thread. Spec ids refer to
/// /work/shared/spec/python-semantics.md (§1.12 RL-, §1.11 L-03, pain point 11).
/// </summary>
public class RLockActorTests : ActorTestKit
{
    private const long MainThread = 1;
    private const long OtherThread = 2;

    public RLockActorTests(ITestOutputHelper output)
        : base(output)
    {
    }

    // ----- acquire, reentrancy, release (RL-01, RL-03) -----

    [Fact]
    public async Task Acquire_replies_true_and_sets_depth_one_when_the_lock_is_free()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();

        var flag = await AcquireAsync(owner, rlock, MainThread, Forever);

        Assert.True(flag.Value);
        Assert.False(flag.Abandoned);
        Assert.Equal(1, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Acquire_by_the_owner_thread_deepens_the_lock_and_each_level_needs_a_release_RL01()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var other = CreateTestProbe();

        for (var i = 1; i <= 3; i++)
        {
            Assert.True((await AcquireAsync(owner, rlock, MainThread, NoWait)).Value);
            Assert.Equal(i, await DepthAsync(rlock));
        }

        await ReleaseAsync(owner, rlock, MainThread);
        await ReleaseAsync(owner, rlock, MainThread);
        Assert.Equal(1, await DepthAsync(rlock));
        Assert.False((await AcquireAsync(other, rlock, MainThread, NoWait)).Value);

        await ReleaseAsync(owner, rlock, MainThread);
        Assert.Equal(0, await DepthAsync(rlock));
        Assert.True((await AcquireAsync(other, rlock, MainThread, NoWait)).Value);
    }

    [Fact]
    public async Task Release_by_the_owner_after_the_last_level_replies_SynchronizationLockException_RL03()
    {
        // test_rlock: three acquires, three releases, the fourth release raises.
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        }

        for (var i = 0; i < 3; i++)
        {
            await ReleaseAsync(owner, rlock, MainThread);
        }

        var error = await FailedReleaseAsync(owner, rlock, MainThread);
        Assert.IsType<SynchronizationLockException>(error);
        Assert.Contains("RL-03", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Release_by_another_process_replies_SynchronizationLockException_and_keeps_the_depth_RL03()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var otherProcess = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);

        var error = await FailedReleaseAsync(otherProcess, rlock, MainThread);

        Assert.IsType<SynchronizationLockException>(error);
        Assert.Equal(2, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Release_by_another_thread_of_the_owning_process_replies_SynchronizationLockException_RL03()
    {
        var rlock = NewRLock();
        var process = CreateTestProbe();
        Assert.True((await AcquireAsync(process, rlock, MainThread, Forever)).Value);

        var error = await FailedReleaseAsync(process, rlock, OtherThread);

        Assert.IsType<SynchronizationLockException>(error);
        Assert.Equal(1, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Acquire_by_another_thread_of_the_owning_process_is_not_reentrant()
    {
        var rlock = NewRLock();
        var process = CreateTestProbe();
        Assert.True((await AcquireAsync(process, rlock, MainThread, Forever)).Value);

        Assert.False((await AcquireAsync(process, rlock, OtherThread, NoWait)).Value);
        Assert.Equal(1, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Release_of_a_free_rlock_replies_SynchronizationLockException_RL03()
    {
        var rlock = NewRLock();
        var caller = CreateTestProbe();

        Assert.IsType<SynchronizationLockException>(await FailedReleaseAsync(caller, rlock, MainThread));
    }

    // ----- waiting: timeouts, cancel, fairness (RL-02, L-03) -----

    [Fact]
    public async Task Acquire_by_another_process_with_a_timeout_replies_false_after_the_deadline_RL02()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var other = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);

        var clock = Stopwatch.StartNew();
        var flag = await AcquireAsync(other, rlock, MainThread, 300);
        clock.Stop();

        Assert.False(flag.Value);
        Assert.True(clock.ElapsedMilliseconds >= 250, $"replied after {clock.ElapsedMilliseconds} ms, before the 300 ms deadline");

        // The expired request is gone: the owner's release leaves the lock free.
        await ReleaseAsync(owner, rlock, MainThread);
        await other.ExpectNoMsgAsync(Quiet);
        Assert.Equal(0, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Acquire_by_another_process_is_granted_when_the_owner_releases_the_last_level()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        var id = Send(waiter, rlock, OtherThread, Forever);

        await ReleaseAsync(owner, rlock, MainThread);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        await ReleaseAsync(owner, rlock, MainThread);

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        Assert.True(flag.Value);
        Assert.False(flag.Abandoned);
        Assert.Equal(1, await DepthAsync(rlock));

        // The new owner is (waiter, OtherThread): only that pair may release.
        Assert.IsType<SynchronizationLockException>(await FailedReleaseAsync(waiter, rlock, MainThread));
        await ReleaseAsync(waiter, rlock, OtherThread);
    }

    [Fact]
    public async Task Acquire_by_the_owner_is_granted_at_once_while_others_wait()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        Send(waiter, rlock, MainThread, Forever);

        Assert.True((await AcquireAsync(owner, rlock, MainThread, NoWait)).Value);

        Assert.Equal(2, await DepthAsync(rlock));
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Cancel_answers_Withdrawn_and_drops_a_parked_waiter()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        var id = Send(waiter, rlock, MainThread, Forever);

        waiter.Send(rlock, new Cancel(id));
        Assert.Equal(id, (await waiter.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        await ReleaseAsync(owner, rlock, MainThread);

        await waiter.ExpectNoMsgAsync(Quiet);
        Assert.Equal(0, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Cancel_after_the_grant_is_ignored_and_the_caller_keeps_the_rlock()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var waiter = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        var id = Send(waiter, rlock, MainThread, Forever);
        await ReleaseAsync(owner, rlock, MainThread);
        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);

        waiter.Send(rlock, new Cancel(id));

        await waiter.ExpectNoMsgAsync(Quiet);
        Assert.Equal(1, await DepthAsync(rlock));
        await ReleaseAsync(waiter, rlock, MainThread);
    }

    [Fact]
    public async Task Release_grants_waiters_in_arrival_order_FIFO()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var waiters = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        var ids = waiters.Select(w => Send(w, rlock, MainThread, Forever)).ToList();

        var previous = owner;
        for (var i = 0; i < waiters.Count; i++)
        {
            await ReleaseAsync(previous, rlock, MainThread);
            var flag = await waiters[i].ExpectMsgAsync<Flag>(Wait);
            Assert.Equal(ids[i], flag.CallId);
            Assert.True(flag.Value);
            foreach (var later in waiters.Skip(i + 1))
            {
                later.ExpectNoMsg(TimeSpan.Zero);
            }

            previous = waiters[i];
        }
    }

    [Fact]
    public async Task Acquire_without_waiting_fails_for_a_newcomer_while_others_are_queued()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var waiter = CreateTestProbe();
        var newcomer = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        Send(waiter, rlock, MainThread, Forever);

        await ReleaseAsync(owner, rlock, MainThread);

        Assert.False((await AcquireAsync(newcomer, rlock, MainThread, NoWait)).Value);
        Assert.True((await waiter.ExpectMsgAsync<Flag>(Wait)).Value);
    }

    // ----- an owner that dies (RL-04 target, pain point 11) -----

    [Fact]
    public async Task Terminated_of_the_owner_at_depth_three_grants_the_first_waiter_with_Abandoned_true_RL04()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var waiter = CreateTestProbe();
        var watcher = CreateTestProbe();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        }

        var id = Send(waiter, rlock, MainThread, Forever);
        await waiter.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        watcher.Watch(owner);
        Sys.Stop(owner);
        await watcher.ExpectTerminatedAsync(owner, Wait);

        var flag = await waiter.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        Assert.True(flag.Value);
        Assert.True(flag.Abandoned);
        Assert.Equal(1, await DepthAsync(rlock));
    }

    [Fact]
    public async Task Terminated_of_the_owner_frees_the_lock_and_only_the_next_acquire_is_told_Abandoned_RL04()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var next = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);

        Sys.Stop(owner);
        await AwaitAssertAsync(async () => Assert.Equal(0, await DepthAsync(rlock)), Wait);

        var flag = await AcquireAsync(next, rlock, MainThread, NoWait);
        Assert.True(flag.Value);
        Assert.True(flag.Abandoned);
        await ReleaseAsync(next, rlock, MainThread);

        var again = await AcquireAsync(next, rlock, MainThread, NoWait);
        Assert.True(again.Value);
        Assert.False(again.Abandoned);
    }

    [Fact]
    public async Task Terminated_of_a_former_owner_does_not_release_the_current_owner()
    {
        var rlock = NewRLock();
        var former = CreateTestProbe();
        var current = CreateTestProbe();
        var watcher = CreateTestProbe();
        Assert.True((await AcquireAsync(former, rlock, MainThread, Forever)).Value);
        await ReleaseAsync(former, rlock, MainThread);
        Assert.True((await AcquireAsync(current, rlock, MainThread, Forever)).Value);

        watcher.Watch(former);
        Sys.Stop(former);
        await watcher.ExpectTerminatedAsync(former, Wait);
        await Task.Delay(200);

        Assert.Equal(1, await DepthAsync(rlock));
        Assert.False((await AcquireAsync(CreateTestProbe(), rlock, MainThread, NoWait)).Value);
        await ReleaseAsync(current, rlock, MainThread);
    }

    [Fact]
    public async Task Terminated_of_a_parked_waiter_drops_its_request()
    {
        var rlock = NewRLock();
        var owner = CreateTestProbe();
        var doomed = CreateTestProbe();
        var watcher = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        Send(doomed, rlock, MainThread, Forever);
        await Task.Delay(100);

        watcher.Watch(doomed);
        Sys.Stop(doomed);
        await watcher.ExpectTerminatedAsync(doomed, Wait);
        await Task.Delay(200);
        await ReleaseAsync(owner, rlock, MainThread);

        Assert.Equal(0, await DepthAsync(rlock));
    }

    // ----- helpers -----

    /// <summary>The actor under test (a subclass runs the same tests on another RLock actor).</summary>
    protected virtual IActorRef NewRLock() => Sys.ActorOf(RLockActor.Props());

    private static long Send(TestProbe caller, IActorRef target, long thread, long timeoutMs) =>
        Send(caller, target, id => new Acquire(id, thread, timeoutMs));

    private static async Task<Exception> FailedReleaseAsync(TestProbe caller, IActorRef target, long thread) =>
        (await CallAsync<Failed>(caller, target, id => new Release(id, thread))).Error.ToException("test");

    private Task<long> DepthAsync(IActorRef target) => ValueOfAsync(target);
}
