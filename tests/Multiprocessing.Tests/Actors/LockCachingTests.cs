using System.Globalization;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;
using Multiprocessing.Tests.TestSupport;
using MpLock = Multiprocessing.Lock;
using MpRLock = Multiprocessing.RLock;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Lock caching (<c>multiprocessing.locks.cache</c>): processes take leases on <see cref="MpLock"/> and
/// <see cref="MpRLock"/> and acquire locally, with revokes when another process wants the lock. These tests use real
/// child processes and check what must not change: mutual exclusion, reentrancy and ownership, exact queries, and
/// the abandoned report (spec ids: §1.11 L-, §1.12 RL-, M-54, pain point 11 of /work/shared/spec/python-semantics.md).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class LockCachingTests : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);
    private readonly ChildProcesses _children = new();

    public void Dispose() => _children.Dispose();

    [Fact]
    public void Lock_caching_is_on_by_default_and_a_lease_here_makes_the_lock_state_local()
    {
        var lk = new MpLock();
        var leased = LockLeases.For(((ISharedObject)lk).Actor, reentrant: false);

        Assert.True(LockLeases.Settings.Cache);
        Assert.NotNull(leased);
        Assert.True(lk.Acquire(timeout: TestTimeout));
        Assert.True(leased.TryLocalDepth(out var depth));
        Assert.Equal(1, depth);
        lk.Release();
        Assert.False(lk.Locked());
    }

    [Fact]
    public void A_lease_nobody_uses_goes_back_to_the_lock_after_the_linger()
    {
        // lease-linger: a process does not keep the lease of a lock it stopped using; the next acquire takes a new one.
        var rlock = new MpRLock();
        var leased = LockLeases.For(((ISharedObject)rlock).Actor, reentrant: true)!;
        Assert.True(rlock.Acquire(timeout: TestTimeout));
        rlock.Release();

        WaitUntil(() => !leased.TryLocalDepth(out _), "the lease of the unused lock did not go back");

        Assert.False(rlock.Locked());
        Assert.True(rlock.Acquire(block: false));
        Assert.True(leased.TryLocalDepth(out var depth));
        Assert.Equal(1, depth);
        rlock.Release();
    }

    [Fact]
    public async Task At_exit_a_free_lock_lease_goes_back_and_its_return_is_acknowledged_while_a_held_one_stays_L09()
    {
        // What the process's end runs for every lock it used: a free lock's lease goes back; a held lock keeps its lease
        // (its death is an abandonment). Either way the acknowledgement comes after everything sent to the lock before.
        var free = new MpLock();
        var held = new MpLock();
        var freeLease = LockLeases.For(((ISharedObject)free).Actor, reentrant: false)!;
        var heldLease = LockLeases.For(((ISharedObject)held).Actor, reentrant: false)!;
        Assert.True(free.Acquire(timeout: TestTimeout));
        free.Release();
        Assert.True(held.Acquire(timeout: TestTimeout));

        var acknowledged = freeLease.ReturnAtExit();

        Assert.NotNull(acknowledged);
        Assert.IsType<CallProtocol.Done>(await acknowledged.WaitAsync(TestTimeout));
        Assert.False(freeLease.TryLocalDepth(out _));
        var fence = heldLease.ReturnAtExit();
        Assert.NotNull(fence);
        Assert.IsType<CallProtocol.Done>(await fence.WaitAsync(TestTimeout));
        Assert.True(heldLease.TryLocalDepth(out var depth));
        Assert.Equal(1, depth);
        held.Release();
        Assert.True(free.Acquire(block: false));
        free.Release();
    }

    [Fact]
    public void Two_children_incrementing_a_file_under_a_Lock_lose_no_update_L01()
    {
        // Mutual exclusion across processes while the lease moves between them: each increment reads, pauses and
        // writes the counter file, so an overlap would lose an update.
        var lk = new MpLock();
        var counter = PathFor("counter");
        File.WriteAllText(counter, "0");
        const int PerChild = 300;

        var children = Enumerable.Range(0, 2).Select(_ => Start(new Process(CachingTargets.IncrementFile, [lk, counter, PerChild]))).ToList();
        children.ForEach(JoinOk);

        Assert.Equal(2 * PerChild, int.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture));
        Assert.False(lk.Locked());
        Assert.True(lk.Acquire(block: false));
        Assert.False(lk.Abandoned);
    }

    [Fact]
    public void Two_children_and_this_process_incrementing_a_manager_Value_under_a_manager_RLock_lose_no_update_RL01_M54()
    {
        // A manager's RLock is leased the same way; each increment takes it two deep (RL-01).
        using var manager = Manager.Start();
        var rlock = manager.RLock();
        var counter = manager.Value(0);
        const int PerProcess = 60;

        var children = Enumerable.Range(0, 2).Select(_ => Start(new Process(CachingTargets.IncrementValue, [rlock, counter, PerProcess]))).ToList();
        CachingTargets.IncrementValue(rlock, counter, PerProcess);
        children.ForEach(JoinOk);

        Assert.Equal(3 * PerProcess, counter.Value);
        Assert.False(rlock.Locked());
    }

    [Fact]
    public void Threads_of_two_children_mixing_blocking_timed_and_non_blocking_acquires_keep_mutual_exclusion_L01_L02_L03()
    {
        // Three threads per child; each success increments the shared file and is counted by its child. Timeouts,
        // refused tries and revokes interleave with local hand-offs; the file must still count every success.
        var lk = new MpLock();
        var counter = PathFor("counter");
        File.WriteAllText(counter, "0");
        var reports = Enumerable.Range(0, 2).Select(i => PathFor($"successes-{i}")).ToList();

        var children = reports.Select(r => Start(new Process(CachingTargets.MixedThreads, [lk, counter, r]))).ToList();
        children.ForEach(JoinOk);

        var successes = reports.Sum(r => int.Parse(File.ReadAllText(r), CultureInfo.InvariantCulture));
        Assert.True(successes > 0, "no acquire succeeded");
        Assert.Equal(successes, int.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture));
        Assert.False(lk.Locked());
    }

    [Fact]
    public void An_RLock_leased_by_a_child_is_reentrant_there_and_its_release_by_another_thread_raises_RL01_RL03()
    {
        var rlock = new MpRLock();
        var path = PathFor("result");

        JoinOk(Start(new Process(CachingTargets.ReentrantWithForeignRelease, [rlock, path])));

        // Three acquires; the other thread's try and release; depth 3 seen locally; released to depth 0.
        Assert.Equal(new[] { "True", "False", typeof(SynchronizationLockException).FullName!, "True", "False" }, ReadFields(path));
        Assert.False(rlock.Locked());
        Assert.True(rlock.Acquire(block: false));
        Assert.False(rlock.Abandoned);
    }

    [Fact]
    public void Locked_reports_exactly_while_a_child_holds_the_lease_with_the_lock_held_and_then_free_L10_L02()
    {
        var lk = new MpLock();
        var rlock = new MpRLock();
        var holding = PathFor("holding");
        var release = PathFor("release");
        var released = PathFor("released");
        var exit = PathFor("exit");
        var child = Start(new Process(CachingTargets.HoldUntilTold, [lk, rlock, holding, release, released, exit]));
        WaitForFile(holding);

        Assert.True(lk.Locked());
        Assert.True(rlock.Locked());
        Assert.False(lk.Acquire(block: false));
        Assert.False(rlock.Acquire(block: false));
        Assert.Throws<SynchronizationLockException>(rlock.Release);

        File.WriteAllText(release, "go");
        WaitForFile(released);

        // The child may keep its leases for a while: the answers come from its local state.
        Assert.False(lk.Locked());
        Assert.False(rlock.Locked());
        Assert.True(lk.Acquire(timeout: TestTimeout));
        Assert.True(rlock.Acquire(timeout: TestTimeout));
        Assert.False(lk.Abandoned);
        Assert.False(rlock.Abandoned);
        File.WriteAllText(exit, "go");
        JoinOk(child);
        Assert.True(lk.Locked());
        lk.Release();
        rlock.Release();
    }

    [Fact]
    public void A_Lock_leased_by_a_child_and_held_there_is_released_by_this_process_L05()
    {
        var lk = new MpLock();
        var holding = PathFor("holding");
        var done = PathFor("done");
        var child = Start(new Process(CachingTargets.HoldAndWaitForFreedom, [lk, holding, done]));
        WaitForFile(holding);
        Assert.True(lk.Locked());

        lk.Release();

        WaitForFile(done);
        Assert.Equal(new[] { "False", "True" }, ReadFields(done));
        JoinOk(child);
    }

    [Fact]
    public void A_child_that_exits_right_after_its_last_release_is_not_reported_as_abandoned_L09()
    {
        // At orderly exit a process gives back the leases it holds.
        var lk = new MpLock();
        var rlock = new MpRLock();

        JoinOk(Start(new Process(CachingTargets.UseBoth, [lk, rlock, 500])));

        Assert.True(lk.Acquire(timeout: TestTimeout));
        Assert.True(rlock.Acquire(timeout: TestTimeout));
        Assert.False(lk.Abandoned);
        Assert.False(rlock.Abandoned);
    }

    [Fact]
    public void A_child_killed_long_after_its_last_release_is_not_reported_as_abandoned_L09()
    {
        // Its lease went back after the linger (milliseconds); only a kill within the linger counts as abandoned.
        var rlock = new MpRLock();
        var marker = PathFor("released");
        var child = Start(new Process(CachingTargets.UseThenSleep, [rlock, marker]));
        WaitForFile(marker);
        Thread.Sleep(TimeSpan.FromSeconds(2));

        child.Kill();
        child.Join(TestTimeout);

        Assert.True(rlock.Acquire(timeout: TestTimeout));
        Assert.False(rlock.Abandoned);
        rlock.Release();
    }

    [Fact]
    public void A_child_killed_while_holding_a_leased_RLock_is_replaced_by_a_waiting_child_that_is_told_Abandoned_RL04()
    {
        // The next owner is another process that was already waiting (its request queued behind the dead holder).
        var rlock = new MpRLock();
        var holding = PathFor("holding");
        var holder = Start(new Process(LockTargets.HoldRLockThreeDeepForever, [rlock, holding]));
        WaitForFile(holding);
        var report = PathFor("report");
        var waiter = Start(new Process(CachingTargets.AcquireAndReport, [rlock, report]));
        Thread.Sleep(300);
        Assert.False(File.Exists(report));

        holder.Kill();

        WaitForFile(report);
        Assert.Equal(new[] { "True", "True" }, ReadFields(report));
        JoinOk(waiter);
        Assert.False(rlock.Locked());
    }

    private string PathFor(string name) => _children.PathFor(name);

    private Process Start(Process process) => _children.Start(process);

    private static void JoinOk(Process process)
    {
        process.Join(TestTimeout);
        Assert.False(process.IsAlive(), "the child did not finish within 60 s");
        Assert.True(process.ExitCode == 0, $"the child exited with {process.ExitCode}: {process.Exception}");
    }

    private static string[] ReadFields(string path) =>
        File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void WaitForFile(string path) => WaitUntil(() => File.Exists(path), $"{path} did not appear");

    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{failure} within {TestTimeout.TotalSeconds} s");
            Thread.Sleep(20);
        }
    }
}

/// <summary>Targets of the child processes of <see cref="LockCachingTests"/>; they report through files.</summary>
public static class CachingTargets
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static void IncrementFile(MpLock lk, string counter, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Must(lk.Acquire(timeout: Bound), "acquire");
            var value = int.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture);
            Thread.SpinWait(2000);
            File.WriteAllText(counter, (value + 1).ToString(CultureInfo.InvariantCulture));
            lk.Release();
        }
    }

    public static void MixedThreads(MpLock lk, string counter, string report)
    {
        var successes = 0;
        var threads = Enumerable.Range(0, 3).Select(t => new Thread(() =>
        {
            var random = new Random((Environment.ProcessId * 31) + t);
            for (var i = 0; i < 150; i++)
            {
                var acquired = (i % 3) switch
                {
                    0 => lk.Acquire(timeout: Bound),
                    1 => lk.Acquire(block: false),
                    _ => lk.Acquire(timeout: TimeSpan.FromMilliseconds(random.Next(1, 5))),
                };
                if (!acquired)
                {
                    continue;
                }

                var value = int.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture);
                Thread.SpinWait(random.Next(100, 3000));
                File.WriteAllText(counter, (value + 1).ToString(CultureInfo.InvariantCulture));
                Interlocked.Increment(ref successes);
                lk.Release();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Must(t.Join(Bound), "a thread finished"));
        Write(report, successes.ToString(CultureInfo.InvariantCulture));
    }

    public static void IncrementValue(MpRLock rlock, ValueProxy<int> counter, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Must(rlock.Acquire(timeout: Bound), "acquire");
            Must(rlock.Acquire(timeout: Bound), "reentrant acquire");
            counter.Value += 1;
            rlock.Release();
            rlock.Release();
        }
    }

    public static void ReentrantWithForeignRelease(MpRLock rlock, string path)
    {
        for (var i = 0; i < 3; i++)
        {
            Must(rlock.Acquire(timeout: Bound), "acquire");
        }

        var tried = true;
        Exception? error = null;
        var other = new Thread(() =>
        {
            tried = rlock.Acquire(block: false);
            error = Record(rlock.Release);
        });
        other.Start();
        Must(other.Join(Bound), "the other thread finished");
        var lockedAtDepthThree = rlock.Locked();
        for (var i = 0; i < 3; i++)
        {
            rlock.Release();
        }

        Write(path, $"True {tried} {error?.GetType().FullName ?? "none"} {lockedAtDepthThree} {rlock.Locked()}");
    }

    public static void HoldUntilTold(MpLock lk, MpRLock rlock, string holding, string release, string released, string exit)
    {
        Must(lk.Acquire(timeout: Bound), "acquire the Lock");
        Must(rlock.Acquire(timeout: Bound), "acquire the RLock");
        Must(rlock.Acquire(timeout: Bound), "acquire the RLock again");
        Write(holding, "holding");
        WaitForFile(release);
        lk.Release();
        rlock.Release();
        rlock.Release();
        Write(released, "released");
        WaitForFile(exit);
    }

    public static void HoldAndWaitForFreedom(MpLock lk, string holding, string done)
    {
        Must(lk.Acquire(timeout: Bound), "acquire");
        Write(holding, "holding");

        // Another process releases it (L-05); this process then takes it again.
        var deadline = DateTime.UtcNow + Bound;
        while (lk.Locked())
        {
            Must(DateTime.UtcNow < deadline, "the lock was released by the parent");
            Thread.Sleep(20);
        }

        var lockedAfter = lk.Locked();
        var again = lk.Acquire(block: false);
        lk.Release();
        Write(done, $"{lockedAfter} {again}");
    }

    public static void UseBoth(MpLock lk, MpRLock rlock, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Must(lk.Acquire(timeout: Bound), "acquire the Lock");
            Must(rlock.Acquire(timeout: Bound), "acquire the RLock");
            rlock.Release();
            lk.Release();
        }
    }

    public static void UseThenSleep(MpRLock rlock, string marker)
    {
        for (var i = 0; i < 100; i++)
        {
            Must(rlock.Acquire(timeout: Bound), "acquire");
            rlock.Release();
        }

        Write(marker, "released");
        Thread.Sleep(Timeout.Infinite);
    }

    public static void AcquireAndReport(MpRLock rlock, string path)
    {
        var acquired = rlock.Acquire(timeout: Bound);
        var abandoned = rlock.Abandoned;
        if (acquired)
        {
            rlock.Release();
        }

        Write(path, $"{acquired} {abandoned}");
    }

    private static void Must(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"expected: {what}");
        }
    }

    private static void WaitForFile(string path)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!File.Exists(path))
        {
            Must(DateTime.UtcNow < deadline, $"{path} appeared");
            Thread.Sleep(20);
        }
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static void Write(string path, string text)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
