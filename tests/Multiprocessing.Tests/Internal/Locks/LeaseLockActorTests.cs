using Akka.Actor;
using Akka.TestKit;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Locks;

/// <summary>
/// The actor behind <c>Lock</c> and <c>RLock</c>, without processes: test probes play the processes' lease agents
/// (lease requests, returns, answers to revokes and relayed calls) and the reply actors of processes that call it
/// directly. Spec ids refer to /work/shared/spec/python-semantics.md (§1.11 L-, §1.12 RL-, pain point 11).
/// </summary>
public sealed class LeaseLockActorTests : ActorTestKit
{
    private const long MainThread = 1;

    public LeaseLockActorTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public async Task LeaseRequest_on_a_free_lock_is_granted_without_an_abandoned_flag()
    {
        var rlock = NewLock(reentrant: true);
        var holder = CreateTestProbe();

        var granted = await LeaseAsync(holder, rlock);

        Assert.False(granted.Abandoned);
        Assert.NotEqual(0, granted.LeaseId);
    }

    [Fact]
    public async Task GetValue_while_leased_is_relayed_to_the_holder_and_answers_its_local_state_RL01_L10()
    {
        var rlock = NewLock(reentrant: true);
        var holder = CreateTestProbe();
        var granted = await LeaseAsync(holder, rlock);
        var asker = CreateTestProbe();

        var id = Send(asker, rlock, i => new GetValue(i));
        var query = await holder.ExpectMsgAsync<QueryLease>(Wait);
        Assert.Equal(granted.LeaseId, query.LeaseId);
        await asker.ExpectNoMsgAsync(Quiet);
        holder.Reply(new LeaseState(query.RelayId, 3));

        var value = await asker.ExpectMsgAsync<Number>(Wait);
        Assert.Equal(id, value.CallId);
        Assert.Equal(3, value.Value);
    }

    [Fact]
    public async Task GetValue_of_a_Lock_while_leased_answers_0_when_the_holder_holds_it_and_1_when_free_L10()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        await LeaseAsync(holder, lk);
        var asker = CreateTestProbe();

        foreach (var (depth, value) in new[] { (1L, 0L), (0L, 1L) })
        {
            Send(asker, lk, i => new GetValue(i));
            var query = await holder.ExpectMsgAsync<QueryLease>(Wait);
            holder.Reply(new LeaseState(query.RelayId, depth));
            Assert.Equal(value, (await asker.ExpectMsgAsync<Number>(Wait)).Value);
        }
    }

    [Fact]
    public async Task A_competing_lease_request_revokes_the_holder_once_and_is_granted_when_the_lease_comes_back()
    {
        var rlock = NewLock(reentrant: true);
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        var third = CreateTestProbe();
        var lease = await LeaseAsync(first, rlock);

        var secondId = Send(second, rlock, i => new LeaseRequest(i, Forever));
        var revoke = await first.ExpectMsgAsync<Revoke>(Wait);
        Assert.Equal(lease.LeaseId, revoke.LeaseId);
        Assert.Equal(0, revoke.Probe);
        Send(third, rlock, i => new LeaseRequest(i, Forever));
        await first.ExpectNoMsgAsync(Quiet);

        first.Send(rlock, new ReturnLease(0, lease.LeaseId, false));

        // Served in arrival order; the new holder is told at once that the third one waits.
        var granted = await second.ExpectMsgAsync<LeaseGranted>(Wait);
        Assert.Equal(secondId, granted.CallId);
        Assert.NotEqual(lease.LeaseId, granted.LeaseId);
        Assert.Equal(granted.LeaseId, (await second.ExpectMsgAsync<Revoke>(Wait)).LeaseId);
        await third.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task A_plain_Acquire_while_leased_waits_for_the_lease_and_then_owns_the_lock_L01()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var caller = CreateTestProbe();

        var id = Send(caller, lk, i => new Acquire(i, MainThread, Forever));
        await holder.ExpectMsgAsync<Revoke>(Wait);
        await caller.ExpectNoMsgAsync(Quiet);
        holder.Send(lk, new ReturnLease(0, lease.LeaseId, false));

        var flag = await caller.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        Assert.True(flag.Value);
        Assert.Equal(0, await ValueOfAsync(lk));
    }

    [Fact]
    public async Task Acquire_without_waiting_while_leased_probes_the_holder_and_is_refused_when_it_holds_the_lock_L02()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var caller = CreateTestProbe();

        var id = Send(caller, lk, i => new Acquire(i, MainThread, NoWait));
        var probe = await holder.ExpectMsgAsync<Revoke>(Wait);
        Assert.NotEqual(0, probe.Probe);
        holder.Reply(new RevokeDeferred(lease.LeaseId, probe.Probe));

        var flag = await caller.ExpectMsgAsync<Flag>(Wait);
        Assert.Equal(id, flag.CallId);
        Assert.False(flag.Value);
    }

    [Fact]
    public async Task A_lease_request_without_waiting_is_granted_when_the_probed_holder_gives_a_free_lock_back_L02()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var other = CreateTestProbe();

        var id = Send(other, lk, i => new LeaseRequest(i, NoWait));
        var probe = await holder.ExpectMsgAsync<Revoke>(Wait);
        Assert.NotEqual(0, probe.Probe);
        holder.Send(lk, new ReturnLease(0, lease.LeaseId, false));

        Assert.Equal(id, (await other.ExpectMsgAsync<LeaseGranted>(Wait)).CallId);
    }

    [Fact]
    public async Task A_lease_request_without_waiting_is_denied_when_a_plain_owner_holds_the_lock_L02()
    {
        var rlock = NewLock(reentrant: true);
        var owner = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        var other = CreateTestProbe();

        var id = Send(other, rlock, i => new LeaseRequest(i, NoWait));

        Assert.Equal(id, (await other.ExpectMsgAsync<LeaseDenied>(Wait)).CallId);
    }

    [Fact]
    public async Task A_lease_request_waits_for_a_plain_owner_and_is_granted_at_its_last_release_RL01()
    {
        var rlock = NewLock(reentrant: true);
        var owner = CreateTestProbe();
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        Assert.True((await AcquireAsync(owner, rlock, MainThread, Forever)).Value);
        var other = CreateTestProbe();
        var id = Send(other, rlock, i => new LeaseRequest(i, Forever));

        await ReleaseAsync(owner, rlock, MainThread);
        await other.ExpectNoMsgAsync(Quiet);
        await ReleaseAsync(owner, rlock, MainThread);

        Assert.Equal(id, (await other.ExpectMsgAsync<LeaseGranted>(Wait)).CallId);
    }

    [Fact]
    public async Task A_repeated_request_of_the_holder_is_answered_with_the_lease_it_holds()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);

        var again = await LeaseAsync(holder, lk);

        Assert.Equal(lease.LeaseId, again.LeaseId);
        await holder.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Two_waiting_requests_of_one_process_are_both_answered_with_the_lease_it_gets_and_it_is_not_revoked()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var other = CreateTestProbe();
        var trying = Send(other, lk, i => new LeaseRequest(i, NoWait));
        var waiting = Send(other, lk, i => new LeaseRequest(i, Forever));
        Assert.NotEqual(0, (await holder.ExpectMsgAsync<Revoke>(Wait)).Probe);

        holder.Send(lk, new ReturnLease(0, lease.LeaseId, false));

        var first = await other.ExpectMsgAsync<LeaseGranted>(Wait);
        var second = await other.ExpectMsgAsync<LeaseGranted>(Wait);
        Assert.Equal((trying, waiting), (first.CallId, second.CallId));
        Assert.Equal(first.LeaseId, second.LeaseId);
        await other.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Release_of_a_leased_Lock_by_another_process_is_relayed_to_the_holder_L05_L06()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var releaser = CreateTestProbe();

        var id = Send(releaser, lk, i => new Release(i, 0));
        var relayed = await holder.ExpectMsgAsync<ForeignRelease>(Wait);
        Assert.Equal(lease.LeaseId, relayed.LeaseId);
        holder.Reply(new ForeignReleased(relayed.RelayId, true));
        Assert.Equal(id, (await releaser.ExpectMsgAsync<Done>(Wait)).CallId);

        Send(releaser, lk, i => new Release(i, 0));
        relayed = await holder.ExpectMsgAsync<ForeignRelease>(Wait);
        holder.Reply(new ForeignReleased(relayed.RelayId, false));
        var failed = await releaser.ExpectMsgAsync<Failed>(Wait);
        Assert.IsType<SemaphoreFullException>(failed.Error.ToException("test"));
    }

    [Fact]
    public async Task Release_of_a_leased_RLock_by_another_process_fails_at_once_RL03()
    {
        var rlock = NewLock(reentrant: true);
        var holder = CreateTestProbe();
        await LeaseAsync(holder, rlock);
        var other = CreateTestProbe();

        Send(other, rlock, i => new Release(i, MainThread));

        var failed = await other.ExpectMsgAsync<Failed>(Wait);
        Assert.IsType<SynchronizationLockException>(failed.Error.ToException("test"));
        await holder.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Calls_relayed_to_a_holder_that_gives_the_lease_back_first_are_answered_from_the_free_lock()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var asker = CreateTestProbe();
        Send(asker, lk, i => new GetValue(i));
        Send(asker, lk, i => new Release(i, 0));
        await holder.ExpectMsgAsync<QueryLease>(Wait);
        await holder.ExpectMsgAsync<ForeignRelease>(Wait);

        holder.Send(lk, new ReturnLease(0, lease.LeaseId, false));

        Assert.Equal(1, (await asker.ExpectMsgAsync<Number>(Wait)).Value);
        Assert.IsType<SemaphoreFullException>((await asker.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
    }

    [Fact]
    public async Task Death_of_the_lease_holder_frees_the_lock_and_the_next_holder_is_told_Abandoned_L09_RL04()
    {
        // Pain point 11: the lock of a dead holder is released, and the next owner learns it was abandoned.
        var rlock = NewLock(reentrant: true);
        var holder = CreateTestProbe();
        await LeaseAsync(holder, rlock);
        var next = CreateTestProbe();
        var id = Send(next, rlock, i => new LeaseRequest(i, Forever));
        await holder.ExpectMsgAsync<Revoke>(Wait);

        await StopAsync(holder);

        var granted = await next.ExpectMsgAsync<LeaseGranted>(Wait);
        Assert.Equal(id, granted.CallId);
        Assert.True(granted.Abandoned);
    }

    [Fact]
    public async Task Death_of_the_lease_holder_answers_a_query_relayed_to_it_and_a_plain_Acquire_is_told_Abandoned_L09()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        await LeaseAsync(holder, lk);
        var asker = CreateTestProbe();
        Send(asker, lk, i => new GetValue(i));
        await holder.ExpectMsgAsync<QueryLease>(Wait);

        await StopAsync(holder);

        Assert.Equal(1, (await asker.ExpectMsgAsync<Number>(Wait)).Value);
        var flag = await AcquireAsync(asker, lk, MainThread, Forever);
        Assert.True(flag.Value);
        Assert.True(flag.Abandoned);
        Assert.False((await AcquireAsync(CreateTestProbe(), lk, MainThread, NoWait)).Value);
    }

    [Fact]
    public async Task A_returned_lease_passes_an_abandoned_flag_nobody_was_told_to_the_next_holder_L09()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);

        holder.Send(lk, new ReturnLease(0, lease.LeaseId, Abandoned: true));

        Assert.True((await LeaseAsync(CreateTestProbe(), lk)).Abandoned);
    }

    [Fact]
    public async Task A_return_with_a_call_id_is_acknowledged_and_a_stale_return_changes_nothing()
    {
        // At orderly exit a process waits for this acknowledgement.
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var next = CreateTestProbe();
        var nextLease = await ReturnAndLeaseAsync(holder, lk, lease, next);

        var id = Send(holder, lk, i => new ReturnLease(i, lease.LeaseId, false));

        Assert.Equal(id, (await holder.ExpectMsgAsync<Done>(Wait)).CallId);
        Send(CreateTestProbe(), lk, i => new LeaseRequest(i, Forever));
        Assert.Equal(nextLease.LeaseId, (await next.ExpectMsgAsync<Revoke>(Wait)).LeaseId);
    }

    [Fact]
    public async Task Cancel_of_a_waiting_lease_request_is_answered_Withdrawn_and_it_is_never_granted()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        var lease = await LeaseAsync(holder, lk);
        var other = CreateTestProbe();
        var id = Send(other, lk, i => new LeaseRequest(i, Forever));
        await holder.ExpectMsgAsync<Revoke>(Wait);

        other.Send(lk, new Cancel(id));
        Assert.Equal(id, (await other.ExpectMsgAsync<Withdrawn>(Wait)).CallId);
        holder.Send(lk, new ReturnLease(0, lease.LeaseId, false));

        await other.ExpectNoMsgAsync(Quiet);
        Assert.Equal(1, await ValueOfAsync(lk));
    }

    [Fact]
    public async Task A_lease_request_with_a_timeout_is_denied_when_it_runs_out_L03()
    {
        var lk = NewLock(reentrant: false);
        var holder = CreateTestProbe();
        await LeaseAsync(holder, lk);
        var other = CreateTestProbe();

        var id = Send(other, lk, i => new LeaseRequest(i, 200));

        Assert.Equal(id, (await other.ExpectMsgAsync<LeaseDenied>(Wait)).CallId);
    }

    [Fact]
    public async Task A_Lock_through_the_plain_protocol_is_released_by_any_process_and_an_extra_release_fails_L01_L05_L06()
    {
        // Processes with caching off call the actor for every operation.
        var lk = NewLock(reentrant: false);
        var owner = CreateTestProbe();
        var other = CreateTestProbe();

        Assert.True((await AcquireAsync(owner, lk, MainThread, Forever)).Value);
        Assert.Equal(0, await ValueOfAsync(lk));
        Assert.False((await AcquireAsync(owner, lk, MainThread, NoWait)).Value);
        await ReleaseAsync(other, lk, 7);
        Assert.Equal(1, await ValueOfAsync(lk));

        Send(other, lk, i => new Release(i, 7));
        Assert.IsType<SemaphoreFullException>((await other.ExpectMsgAsync<Failed>(Wait)).Error.ToException("test"));
        Assert.True((await LeaseAsync(other, lk)).LeaseId != 0);
    }

    private IActorRef NewLock(bool reentrant) => Sys.ActorOf(LeaseLockActor.Props(reentrant));

    private static Task<LeaseGranted> LeaseAsync(TestProbe holder, IActorRef target) =>
        CallAsync(holder, target, id => new LeaseRequest(id, Forever));

    private static async Task<LeaseGranted> CallAsync(TestProbe caller, IActorRef target, Func<long, object> request)
    {
        var id = Send(caller, target, request);
        var granted = await caller.ExpectMsgAsync<LeaseGranted>(Wait);
        Assert.Equal(id, granted.CallId);
        return granted;
    }

    private static async Task<LeaseGranted> ReturnAndLeaseAsync(TestProbe holder, IActorRef target, LeaseGranted lease, TestProbe next)
    {
        holder.Send(target, new ReturnLease(0, lease.LeaseId, false));
        return await LeaseAsync(next, target);
    }

    private async Task StopAsync(TestProbe probe)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(probe);
        Sys.Stop(probe);
        await watcher.ExpectTerminatedAsync(probe, Wait);
    }
}

/// <summary>
/// Every <see cref="RLockActorTests"/> case on <see cref="LeaseLockActor"/> (reentrant) through the plain protocol, as
/// processes with <c>multiprocessing.locks.cache = off</c> use it (RL-01..RL-04).
/// </summary>
public sealed class LeaseRLockPlainProtocolTests : RLockActorTests
{
    public LeaseRLockPlainProtocolTests(ITestOutputHelper output)
        : base(output)
    {
    }

    protected override IActorRef NewRLock() => Sys.ActorOf(LeaseLockActor.Props(reentrant: true));
}

/// <summary>The <c>multiprocessing.locks</c> settings: defaults from reference.conf, and durations that make no sense refused.</summary>
public sealed class LockSettingsTests
{
    [Fact]
    public void Create_reads_the_defaults_of_reference_conf()
    {
        var settings = LockSettings.Create(Multiprocessing.Internal.Runtime.MultiprocessingRuntime.DefaultConfig());

        Assert.True(settings.Cache);
        Assert.Equal(TimeSpan.FromMilliseconds(5), settings.LeaseLinger);
        Assert.Equal(TimeSpan.FromMilliseconds(2), settings.LeaseQuantum);
    }

    [Fact]
    public void Create_refuses_a_linger_of_zero()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("multiprocessing.locks.lease-linger = 0ms")
            .WithFallback(Multiprocessing.Internal.Runtime.MultiprocessingRuntime.DefaultConfig());

        var error = Assert.Throws<ArgumentException>(() => LockSettings.Create(config));

        Assert.Contains("lease-linger", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_reads_cache_off()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("multiprocessing.locks.cache = off")
            .WithFallback(Multiprocessing.Internal.Runtime.MultiprocessingRuntime.DefaultConfig());

        Assert.False(LockSettings.Create(config).Cache);
    }
}
