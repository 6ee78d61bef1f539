using System.Diagnostics;
using System.Globalization;
using Multiprocessing.Tests.TestSupport;
using MpBoundedSemaphore = Multiprocessing.BoundedSemaphore;
using MpLock = Multiprocessing.Lock;
using MpRLock = Multiprocessing.RLock;
using MpSemaphore = Multiprocessing.Semaphore;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="MpLock"/>, <see cref="MpRLock"/>, <see cref="MpSemaphore"/> and <see cref="MpBoundedSemaphore"/> used from
/// this process and from real child processes (<see cref="Process"/> children and <see cref="Pool"/> tasks), which get
/// the proxies as arguments and report back through files. Spec ids refer to /work/shared/spec/python-semantics.md
/// (§1.11 L-, §1.12 RL-, §1.13 S-/BS-, §2.3, pain point 11).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class LockTests : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private readonly ChildProcesses _children = new();

    public void Dispose() => _children.Dispose();

    // ----- Lock in this process (L-01..L-07) -----

    [Fact]
    public void Acquire_returns_true_and_Locked_reports_the_state_L01_L10()
    {
        var lk = new MpLock();
        Assert.False(lk.Locked());

        Assert.True(lk.Acquire(timeout: TestTimeout));
        Assert.True(lk.Locked());
        Assert.False(lk.Abandoned);

        lk.Release();
        Assert.False(lk.Locked());
    }

    [Fact]
    public void Acquire_without_blocking_returns_false_at_once_and_ignores_the_timeout_when_held_L02()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        Assert.False(lk.Acquire(block: false));
        var clock = Stopwatch.StartNew();
        Assert.False(lk.Acquire(block: false, timeout: TimeSpan.FromSeconds(60)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"acquire(False, 60) waited {clock.Elapsed}");
    }

    [Fact]
    public void Acquire_with_a_timeout_returns_false_after_about_the_timeout_when_held_L03()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        var clock = Stopwatch.StartNew();
        var acquired = lk.Acquire(timeout: TimeSpan.FromMilliseconds(300));
        clock.Stop();

        Assert.False(acquired);
        Assert.True(clock.ElapsedMilliseconds >= 250, $"returned after {clock.ElapsedMilliseconds} ms, before the 300 ms timeout");
    }

    [Fact]
    public void Acquire_with_a_negative_or_zero_timeout_returns_false_without_waiting_when_held_L03()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        var clock = Stopwatch.StartNew();
        Assert.False(lk.Acquire(timeout: TimeSpan.FromSeconds(-5)));
        Assert.False(lk.Acquire(timeout: TimeSpan.Zero));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"waited {clock.Elapsed}");
    }

    [Fact]
    public async Task AcquireAsync_waits_until_the_release_when_the_timeout_is_TimeSpan_MaxValue_L03()
    {
        // TimeSpan.MaxValue is a common way to say "no limit"; it must not behave like a zero timeout.
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        var waiting = lk.AcquireAsync(timeout: TimeSpan.MaxValue);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "AcquireAsync(timeout: TimeSpan.MaxValue) returned while the lock was held");

        await lk.ReleaseAsync();
        Assert.True(await waiting.WaitAsync(TestTimeout));
    }

    [Fact]
    public void Acquire_by_the_holding_thread_is_not_reentrant_and_times_out_L04()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        Assert.False(lk.Acquire(timeout: TimeSpan.FromMilliseconds(200)));
        Assert.True(lk.Locked());
    }

    [Fact]
    public void Release_from_another_thread_frees_the_lock_L05()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        var releaser = new Thread(lk.Release);
        releaser.Start();
        Assert.True(releaser.Join(TestTimeout));

        Assert.False(lk.Locked());
        Assert.True(lk.Acquire(block: false));
    }

    [Fact]
    public void Release_throws_SemaphoreFullException_when_the_lock_is_not_held_L06()
    {
        // test_lock: an extra release raises (ValueError in Python).
        // A fresh lock has no lease in this process: the lock's actor raises (its stack trace travels along). Once
        // this process holds the lease, the extra release is refused here.
        var lk = new MpLock();
        var remote = Assert.Throws<SemaphoreFullException>(lk.Release);
        Assert.True(remote.Data.Contains("RemoteStackTrace"));

        Assert.True(lk.Acquire(timeout: TestTimeout));
        lk.Release();
        Assert.Throws<SemaphoreFullException>(lk.Release);
        Assert.False(lk.Locked());
    }

    [Fact]
    public void Hold_acquires_for_the_using_block_and_releases_at_its_end_L07()
    {
        var lk = new MpLock();

        using (lk.Hold())
        {
            Assert.True(lk.Locked());
            Assert.False(lk.Acquire(block: false));
        }

        Assert.False(lk.Locked());
    }

    [Fact]
    public void Hold_releases_when_the_using_block_throws_L07()
    {
        var lk = new MpLock();

        Assert.Throws<InvalidOperationException>(ThrowWhileHolding);

        Assert.False(lk.Locked());

        void ThrowWhileHolding()
        {
            using (lk.Hold())
            {
                throw new InvalidOperationException("inside");
            }
        }
    }

    [Fact]
    public void Dispose_of_a_LockHolder_a_second_time_does_not_release_the_lock_again_L07()
    {
        // IDisposable: calls after the first Dispose are ignored. A second release would free a lock that someone
        // else acquired in between (any process may release a Lock, L-05).
        var lk = new MpLock();
        var holder = lk.Hold();
        holder.Dispose();
        Assert.True(lk.Acquire(block: false));

        var error = Record.Exception(holder.Dispose);

        Assert.Null(error);
        Assert.True(lk.Locked(), "the second Dispose released a lock acquired after the first one");
    }

    [Fact]
    public async Task HoldAsync_acquires_for_the_await_using_block_and_releases_at_its_end_L07()
    {
        var lk = new MpLock();

        await using (await lk.HoldAsync().WaitAsync(TestTimeout))
        {
            Assert.True(lk.Locked());
        }

        Assert.False(lk.Locked());
    }

    [Fact]
    public async Task AcquireAsync_is_granted_in_arrival_order_when_the_lock_is_released()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));
        var first = lk.AcquireAsync(timeout: TestTimeout);
        await Task.Delay(100);
        var second = lk.AcquireAsync(timeout: TestTimeout);
        await Task.Delay(100);

        lk.Release();

        Assert.True(await first.WaitAsync(TestTimeout));
        Assert.False(second.IsCompleted);
        await lk.ReleaseAsync();
        Assert.True(await second.WaitAsync(TestTimeout));
    }

    [Fact]
    public async Task AcquireAsync_cancelled_while_waiting_throws_and_does_not_take_the_lock_later()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));
        using var cancel = new CancellationTokenSource();
        var waiting = lk.AcquireAsync(cancellationToken: cancel.Token);
        await Task.Delay(100);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestTimeout));
        await Task.Delay(200);
        lk.Release();

        Assert.False(lk.Locked());
    }

    [Fact]
    public async Task AcquireAsync_with_an_already_cancelled_token_throws_and_leaves_a_free_lock_free()
    {
        var lk = new MpLock();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => lk.AcquireAsync(cancellationToken: new CancellationToken(canceled: true)).WaitAsync(TestTimeout));
        await Task.Delay(200);

        Assert.False(lk.Locked(), "a cancelled AcquireAsync took the lock, and nobody can release it knowingly");
    }

    [Fact]
    public async Task AcquireAsync_cancelled_as_the_lock_is_handed_over_leaves_the_lock_free_or_taken_by_it()
    {
        // The caller stops waiting (token) at the moment the holder releases. The lock service grants the waiter
        // before it sees the cancel; whichever way the race goes, the cancelled caller must either own the lock
        // (AcquireAsync returned true) or the lock must be free. It must never be held by nobody.
        var lk = new MpLock();
        var leaked = 0;
        for (var round = 0; round < 20; round++)
        {
            Assert.True(lk.Acquire(timeout: TestTimeout));
            using var cancel = new CancellationTokenSource();
            var waiting = lk.AcquireAsync(cancellationToken: cancel.Token);
            await Task.Delay(20);

            var release = lk.ReleaseAsync();
            cancel.Cancel();
            await release.WaitAsync(TestTimeout);

            bool acquired;
            try
            {
                acquired = await waiting.WaitAsync(TestTimeout);
            }
            catch (OperationCanceledException)
            {
                acquired = false;
            }

            await Task.Delay(50);
            if (acquired)
            {
                await lk.ReleaseAsync();
            }
            else if (lk.Locked())
            {
                leaked++;
                await lk.ReleaseAsync();
            }
        }

        Assert.True(leaked == 0, $"in {leaked} of 20 rounds the cancelled AcquireAsync left the lock held by nobody");
    }

    // ----- Lock across processes (L-01..L-05, L-09) -----

    [Fact]
    public void Acquire_in_a_child_returns_false_without_waiting_or_after_the_timeout_when_the_parent_holds_the_lock_L02_L03()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));
        var path = PathFor("result");

        RunToCompletion(new Process(LockTargets.TryAcquireLock, [lk, 300, path]));

        var result = ReadFields(path);
        Assert.Equal("False", result[0]);
        Assert.Equal("False", result[1]);
        Assert.True(int.Parse(result[2], CultureInfo.InvariantCulture) >= 250, $"the timed acquire returned after {result[2]} ms");
        Assert.True(lk.Locked());
    }

    [Fact]
    public void Acquire_in_a_child_waits_until_the_parent_releases_L01()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));
        var path = PathFor("acquired");
        var child = Start(new Process(LockTargets.AcquireWriteRelease, [lk, path]));

        child.Join(TimeSpan.FromSeconds(1));
        Assert.True(child.IsAlive(), "the child should be waiting for the lock");
        Assert.False(File.Exists(path));

        lk.Release();
        child.Join(TestTimeout);

        Assert.Equal(0, child.ExitCode);
        Assert.Equal(new[] { "acquired", "False" }, ReadFields(path));
        Assert.False(lk.Locked());
    }

    [Fact]
    public void Release_in_a_child_frees_a_lock_the_parent_holds_L05()
    {
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        RunToCompletion(new Process(LockTargets.ReleaseLock, [lk]));

        Assert.False(lk.Locked());
        Assert.True(lk.Acquire(block: false));
        Assert.False(lk.Abandoned);
    }

    [Fact]
    public void Release_in_a_child_throws_SemaphoreFullException_for_a_free_Lock_and_a_full_BoundedSemaphore_L06_BS01()
    {
        var lk = new MpLock();
        var bounded = new MpBoundedSemaphore(1);
        var path = PathFor("errors");

        RunToCompletion(new Process(LockTargets.OverRelease, [lk, bounded, path]));

        Assert.Equal(new[] { typeof(SemaphoreFullException).FullName!, typeof(SemaphoreFullException).FullName! }, ReadFields(path));
        Assert.False(lk.Locked());
        Assert.Equal(1, bounded.GetValue());
    }

    [Fact]
    public void Acquire_in_the_parent_waits_for_a_child_that_holds_the_lock_and_is_not_abandoned()
    {
        var lk = new MpLock();
        var marker = PathFor("holding");
        var child = Start(new Process(LockTargets.HoldLockBriefly, [lk, marker, 700]));
        WaitForFile(marker);

        Assert.False(lk.Acquire(block: false));
        Assert.True(lk.Acquire(timeout: TestTimeout));

        Assert.False(lk.Abandoned);
        child.Join(TestTimeout);
        Assert.Equal(0, child.ExitCode);
    }

    [Fact]
    public void Acquire_succeeds_within_3_seconds_with_Abandoned_when_the_holding_child_is_killed_L09()
    {
        // L-09 target (pain point 11): CPython leaves the lock locked forever.
        var lk = new MpLock();
        var marker = PathFor("holding");
        var child = Start(new Process(LockTargets.HoldLockForever, [lk, marker]));
        WaitForFile(marker);
        Assert.False(lk.Acquire(block: false));

        child.Kill();
        var acquired = lk.Acquire(timeout: TimeSpan.FromSeconds(3));

        Assert.True(acquired, "the lock of a killed holder was not released within 3 s");
        Assert.True(lk.Abandoned);
        child.Join(TestTimeout);
        Assert.Equal(-9, child.ExitCode);
    }

    [Fact]
    public void Acquire_succeeds_with_Abandoned_when_the_holding_child_exited_without_releasing_L09()
    {
        var lk = new MpLock();

        RunToCompletion(new Process(LockTargets.AcquireAndExit, [lk]));

        Assert.True(lk.Acquire(timeout: TimeSpan.FromSeconds(10)), "the lock of an exited holder was not released");
        Assert.True(lk.Abandoned);
        lk.Release();
        Assert.True(lk.Acquire(block: false));
        Assert.False(lk.Abandoned);
    }

    [Fact]
    public void Lock_keeps_pool_tasks_in_two_workers_from_losing_updates_of_a_shared_counter()
    {
        // Mutual exclusion across processes: each task reads, pauses and writes a counter file under the lock.
        var lk = new MpLock();
        var counter = PathFor("counter");
        File.WriteAllText(counter, "0");
        using var pool = new Pool(2);

        var tasks = Enumerable.Range(0, 4).Select(_ => pool.ApplyAsync(LockTargets.IncrementUnderLock, lk, counter, 15)).ToList();
        var pids = tasks.Select(t => t.Get(TestTimeout)).ToList();

        Assert.Equal(60, int.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture));
        Assert.DoesNotContain(Environment.ProcessId, pids);
        Assert.False(lk.Locked());
    }

    [Fact]
    public void Release_in_a_grandchild_frees_a_lock_that_its_parent_passed_on_L05()
    {
        // The proxy travels twice: this process -> child -> grandchild, and still names the lock here.
        var lk = new MpLock();
        Assert.True(lk.Acquire(timeout: TestTimeout));

        RunToCompletion(new Process(LockTargets.ReleaseInAChild, [lk]));

        Assert.False(lk.Locked());
    }

    [Fact]
    public async Task AcquireAsync_fails_with_RemoteObjectUnavailableException_when_the_process_that_holds_the_lock_dies()
    {
        // The lock lives in a pool worker (created by a task and returned as its result); the worker is stopped while
        // this process waits for the lock: the wait fails instead of hanging, and so do later calls.
        using var pool = new Pool(1);
        var lk = await Task.Run(() => pool.Apply(LockTargets.CreateHeldLock)).WaitAsync(TestTimeout);
        Assert.True(await Task.Run(lk.Locked).WaitAsync(TestTimeout));
        var waiting = lk.AcquireAsync();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);

        pool.Terminate();

        await Assert.ThrowsAsync<RemoteObjectUnavailableException>(() => waiting.WaitAsync(TestTimeout));
        await Assert.ThrowsAsync<RemoteObjectUnavailableException>(() => lk.AcquireAsync(block: false).WaitAsync(TestTimeout));
    }

    // ----- RLock (RL-01..RL-04) -----

    [Fact]
    public void Acquire_is_reentrant_for_the_owner_and_each_level_needs_a_release_RL01()
    {
        // test_rlock: three acquires, three releases, a fourth release raises.
        var rlock = new MpRLock();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(rlock.Acquire(timeout: TestTimeout));
        }

        Assert.True(rlock.Locked());
        rlock.Release();
        rlock.Release();
        Assert.True(rlock.Locked());
        rlock.Release();
        Assert.False(rlock.Locked());
        Assert.Throws<SynchronizationLockException>(rlock.Release);
    }

    [Fact]
    public void Release_from_a_thread_that_does_not_own_the_RLock_throws_SynchronizationLockException_RL03()
    {
        var rlock = new MpRLock();
        Assert.True(rlock.Acquire(timeout: TestTimeout));
        Exception? error = null;
        var acquiredElsewhere = true;

        var other = new Thread(() =>
        {
            acquiredElsewhere = rlock.Acquire(block: false);
            error = Record.Exception(rlock.Release);
        });
        other.Start();
        Assert.True(other.Join(TestTimeout));

        Assert.False(acquiredElsewhere);
        Assert.IsType<SynchronizationLockException>(error);
        Assert.True(rlock.Locked());
        rlock.Release();
        Assert.False(rlock.Locked());
    }

    [Fact]
    public void Hold_of_an_RLock_nests_inside_an_outer_Hold_RL01_L07()
    {
        var rlock = new MpRLock();

        using (rlock.Hold())
        {
            using (rlock.Hold())
            {
                Assert.True(rlock.Locked());
            }

            Assert.True(rlock.Locked());
        }

        Assert.False(rlock.Locked());
    }

    [Fact]
    public void Acquire_in_another_process_times_out_and_its_release_throws_while_the_parent_owns_the_RLock_RL02_RL03()
    {
        var rlock = new MpRLock();
        Assert.True(rlock.Acquire(timeout: TestTimeout));
        Assert.True(rlock.Acquire(timeout: TestTimeout));
        var path = PathFor("result");

        RunToCompletion(new Process(LockTargets.TryRLock, [rlock, 500, path]));

        var result = ReadFields(path);
        Assert.Equal("False", result[0]);
        Assert.True(int.Parse(result[1], CultureInfo.InvariantCulture) >= 450, $"the timed acquire returned after {result[1]} ms");
        Assert.Equal(typeof(SynchronizationLockException).FullName, result[2]);
        Assert.True(rlock.Locked());
        rlock.Release();
        rlock.Release();
        Assert.False(rlock.Locked());
    }

    [Fact]
    public void Acquire_succeeds_within_3_seconds_with_Abandoned_when_a_child_owning_the_RLock_three_deep_is_killed_RL04()
    {
        // RL-04 target (pain point 11); the child also shows reentrancy in another process (RL-01).
        var rlock = new MpRLock();
        var marker = PathFor("holding");
        var child = Start(new Process(LockTargets.HoldRLockThreeDeepForever, [rlock, marker]));
        WaitForFile(marker);
        Assert.False(rlock.Acquire(block: false));
        Assert.Throws<SynchronizationLockException>(rlock.Release);

        child.Kill();
        var acquired = rlock.Acquire(timeout: TimeSpan.FromSeconds(3));

        Assert.True(acquired, "the RLock of a killed owner was not released within 3 s");
        Assert.True(rlock.Abandoned);
        rlock.Release();
        Assert.False(rlock.Locked());
        child.Join(TestTimeout);
        Assert.Equal(-9, child.ExitCode);
    }

    [Fact]
    public void HoldAsync_of_an_RLock_releases_on_dispose_when_the_async_flow_resumed_on_another_thread_RL01_L07()
    {
        // `await using (await rlock.HoldAsync()) { await ...; }` disposes the holder on whichever thread the
        // continuation runs on; here the acquire runs on one thread and the dispose on another, as after an await.
        var rlock = new MpRLock();
        LockHolder? holder = null;
        RunOnNewThread(() => holder = rlock.HoldAsync().WaitAsync(TestTimeout).GetAwaiter().GetResult());
        Assert.True(rlock.Locked());

        var error = RunOnNewThread(() => holder!.DisposeAsync().AsTask().WaitAsync(TestTimeout).GetAwaiter().GetResult());

        Assert.Null(error);
        Assert.False(rlock.Locked());
    }

    // ----- Semaphore and BoundedSemaphore (S-01..S-04, BS-01) -----

    [Fact]
    public void Semaphore_counts_down_refuses_at_zero_and_counts_up_past_its_start_S01_S02()
    {
        // _TestSemaphore.test_semaphore: 2 -> 1 -> 0, a non-blocking acquire fails, releases go up to 4.
        var sem = new MpSemaphore(2);
        Assert.Equal(2, sem.GetValue());
        Assert.True(sem.Acquire(timeout: TestTimeout));
        Assert.Equal(1, sem.GetValue());
        Assert.True(sem.Acquire(timeout: TestTimeout));
        Assert.Equal(0, sem.GetValue());
        Assert.False(sem.Acquire(block: false));

        for (var i = 0; i < 4; i++)
        {
            sem.Release();
        }

        Assert.Equal(4, sem.GetValue());
    }

    [Fact]
    public void Acquire_on_a_zero_Semaphore_returns_false_after_about_the_timeout_and_at_once_without_blocking_S04()
    {
        // _TestSemaphore.test_timeout
        var sem = new MpSemaphore(0);

        Assert.False(sem.Acquire(block: false));
        Assert.False(sem.Acquire(block: false, timeout: TimeSpan.FromSeconds(60)));
        var clock = Stopwatch.StartNew();
        Assert.False(sem.Acquire(timeout: TimeSpan.FromMilliseconds(300)));
        clock.Stop();

        Assert.True(clock.ElapsedMilliseconds >= 250, $"returned after {clock.ElapsedMilliseconds} ms, before the 300 ms timeout");
        Assert.Equal(0, sem.GetValue());
    }

    [Fact]
    public void Constructor_throws_ArgumentOutOfRangeException_for_a_negative_value_S03()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MpSemaphore(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MpBoundedSemaphore(-1));
    }

    [Fact]
    public void Release_of_a_BoundedSemaphore_above_its_start_throws_SemaphoreFullException_BS01()
    {
        var bounded = new MpBoundedSemaphore(2);
        Assert.Throws<SemaphoreFullException>(bounded.Release);

        Assert.True(bounded.Acquire(timeout: TestTimeout));
        bounded.Release();
        var ex = Assert.Throws<SemaphoreFullException>(bounded.Release);

        Assert.Contains("released too many times", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, bounded.GetValue());
    }

    [Fact]
    public void Hold_of_a_Semaphore_takes_one_unit_for_the_using_block()
    {
        var sem = new MpSemaphore(2);

        using (sem.Hold())
        {
            Assert.Equal(1, sem.GetValue());
        }

        Assert.Equal(2, sem.GetValue());
    }

    [Fact]
    public void Semaphore_in_a_child_counts_down_times_out_at_zero_and_waits_for_the_parents_release_S01_S02_S04()
    {
        var sem = new MpSemaphore(2);
        var taken = PathFor("taken");
        var woken = PathFor("woken");
        var child = Start(new Process(LockTargets.DrainSemaphoreThenWait, [sem, taken, woken]));
        WaitForFile(taken);

        var result = ReadFields(taken);
        Assert.Equal(new[] { "True", "True", "False", "False" }, result[..4]);
        Assert.True(int.Parse(result[4], CultureInfo.InvariantCulture) >= 250, $"the timed acquire returned after {result[4]} ms");
        Assert.Equal(0, sem.GetValue());
        child.Join(TimeSpan.FromMilliseconds(300));
        Assert.True(child.IsAlive(), "the child should wait on the empty semaphore");

        sem.Release();
        child.Join(TestTimeout);

        Assert.Equal(0, child.ExitCode);
        Assert.True(File.Exists(woken));
        Assert.Equal(0, sem.GetValue());
        sem.Release();
        sem.Release();
        sem.Release();
        Assert.Equal(3, sem.GetValue());
    }

    // ----- helpers -----

    private string PathFor(string name) => _children.PathFor(name);

    private Process Start(Process process) => _children.Start(process);

    private void RunToCompletion(Process process)
    {
        Start(process);
        process.Join(TestTimeout);
        Assert.False(process.IsAlive(), "the child did not finish within 30 s");
        Assert.True(process.ExitCode == 0, $"the child exited with {process.ExitCode}: {process.Exception}");
    }

    private static Exception? RunOnNewThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() => error = Record.Exception(action));
        thread.Start();
        Assert.True(thread.Join(TestTimeout), "the thread did not finish within 30 s");
        return error;
    }

    private static string[] ReadFields(string path) =>
        File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void WaitForFile(string path)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (!File.Exists(path))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} did not appear within 30 s");
            Thread.Sleep(20);
        }
    }
}

/// <summary>Targets of the child processes and pool tasks of <see cref="LockTests"/>; they report through files.</summary>
public static class LockTargets
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static void TryAcquireLock(MpLock lk, int timeoutMs, string path)
    {
        var nonBlocking = lk.Acquire(block: false, timeout: TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        var timed = lk.Acquire(timeout: TimeSpan.FromMilliseconds(timeoutMs));
        Write(path, $"{nonBlocking} {timed} {clock.ElapsedMilliseconds}");
    }

    public static void AcquireWriteRelease(MpLock lk, string path)
    {
        if (!lk.Acquire(timeout: Bound))
        {
            throw new TimeoutException("the lock was not released within 30 s");
        }

        Write(path, $"acquired {lk.Abandoned}");
        lk.Release();
    }

    public static void ReleaseLock(MpLock lk) => lk.Release();

    public static void ReleaseInAChild(MpLock lk)
    {
        var child = new Process(ReleaseLock, [lk]);
        child.Start();
        child.Join(Bound);
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"the grandchild exited with {child.ExitCode}: {child.Exception}");
        }
    }

    public static MpLock CreateHeldLock()
    {
        var lk = new MpLock();
        if (!lk.Acquire(block: false))
        {
            throw new InvalidOperationException("a new lock was not free");
        }

        return lk;
    }

    public static void OverRelease(MpLock lk, MpBoundedSemaphore bounded, string path)
    {
        var lockError = Record(lk.Release);
        var semaphoreError = Record(bounded.Release);
        Write(path, $"{lockError} {semaphoreError}");
    }

    public static void HoldLockBriefly(MpLock lk, string marker, int milliseconds)
    {
        using (lk.Hold())
        {
            Write(marker, "holding");
            Thread.Sleep(milliseconds);
        }
    }

    public static void HoldLockForever(MpLock lk, string marker)
    {
        if (!lk.Acquire(timeout: Bound))
        {
            throw new TimeoutException("the lock was not free");
        }

        Write(marker, "holding");
        Thread.Sleep(Timeout.Infinite);
    }

    public static void AcquireAndExit(MpLock lk)
    {
        if (!lk.Acquire(timeout: Bound))
        {
            throw new TimeoutException("the lock was not free");
        }
    }

    public static int IncrementUnderLock(MpLock lk, string counter, int times)
    {
        for (var i = 0; i < times; i++)
        {
            using (lk.Hold())
            {
                var value = int.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture);
                Thread.Sleep(2);
                File.WriteAllText(counter, (value + 1).ToString(CultureInfo.InvariantCulture));
            }
        }

        return Environment.ProcessId;
    }

    public static void TryRLock(MpRLock rlock, int timeoutMs, string path)
    {
        var clock = Stopwatch.StartNew();
        var acquired = rlock.Acquire(timeout: TimeSpan.FromMilliseconds(timeoutMs));
        var elapsed = clock.ElapsedMilliseconds;
        Write(path, $"{acquired} {elapsed} {Record(rlock.Release)}");
    }

    public static void HoldRLockThreeDeepForever(MpRLock rlock, string marker)
    {
        for (var i = 0; i < 3; i++)
        {
            if (!rlock.Acquire(timeout: Bound))
            {
                throw new TimeoutException($"acquire {i + 1} of the RLock failed");
            }
        }

        Write(marker, "holding");
        Thread.Sleep(Timeout.Infinite);
    }

    public static void DrainSemaphoreThenWait(MpSemaphore sem, string taken, string woken)
    {
        var first = sem.Acquire(block: false);
        var second = sem.Acquire(block: false);
        var third = sem.Acquire(block: false);
        var clock = Stopwatch.StartNew();
        var timed = sem.Acquire(timeout: TimeSpan.FromMilliseconds(300));
        Write(taken, $"{first} {second} {third} {timed} {clock.ElapsedMilliseconds}");
        if (!sem.Acquire(timeout: Bound))
        {
            throw new TimeoutException("the semaphore was not released within 30 s");
        }

        Write(woken, "woken");
    }

    private static string Record(Action action)
    {
        try
        {
            action();
            return "none";
        }
        catch (Exception ex)
        {
            return ex.GetType().FullName ?? ex.GetType().Name;
        }
    }

    private static void Write(string path, string text)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
