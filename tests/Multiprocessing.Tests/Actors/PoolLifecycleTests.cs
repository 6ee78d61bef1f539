using static Multiprocessing.Tests.Actors.PoolTestSupport;
using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Close, terminate, join and dispose (1.6), maxTasksPerChild and initializers (1.1, 1.7), and worker death (1.8)
/// on real worker processes.
/// </summary>
[Collection("processes")]
public sealed class PoolLifecycleTests
{
    // ----- close / join (P-50, P-52) -----

    [Fact]
    public void Close_lets_queued_tasks_finish_and_Join_waits_until_the_workers_exited()
    {
        // P-50, P-52
        using var pool = new Pool(2);
        var results = Enumerable.Range(0, 4).Select(_ => pool.ApplyAsync(TaskFunctions.SleepThenPid, 300)).ToList();

        pool.Close();
        Assert.True(JoinWithin(pool, TestTimeout));

        Assert.All(results, r => Assert.True(r.Ready && r.Successful()));
        var pids = results.Select(r => r.Get(TestTimeout)).Distinct().ToList();
        Assert.DoesNotContain(Environment.ProcessId, pids);
        Assert.All(pids, pid => Assert.True(HasExited(pid), $"worker {pid} still runs after Join()"));
    }

    [Fact]
    public void Close_is_idempotent_and_Join_returns_when_called_again()
    {
        // P-50
        using var pool = new Pool(1);
        var result = pool.ApplyAsync(TaskFunctions.Square, 5);

        pool.Close();
        pool.Close();
        Bounded(pool.Join);
        pool.Close();
        Bounded(pool.Join);

        Assert.Equal(25, result.Get(TestTimeout));
    }

    [Fact]
    public void Close_then_Join_finish_when_imap_input_is_still_being_read()
    {
        // P-50: work submitted before Close() completes, including the rest of an imap input
        using var pool = new Pool(1);
        var iterator = pool.Imap(TaskFunctions.Square, Enumerable.Range(0, 300));

        pool.Close();

        Assert.Equal(Enumerable.Range(0, 300).Select(x => x * x), Drain(iterator));
        Assert.True(JoinWithin(pool, TestTimeout));
    }

    [Fact]
    public void Submission_throws_InvalidOperationException_when_pool_is_closed()
    {
        // P-51
        using var pool = new Pool(1);
        pool.Close();

        AssertRejectsWork(pool);
    }

    [Fact]
    public void Submission_throws_InvalidOperationException_when_pool_is_terminated()
    {
        // P-51
        using var pool = new Pool(1);
        pool.Terminate();

        AssertRejectsWork(pool);
    }

    [Fact]
    public async Task Join_throws_InvalidOperationException_when_pool_is_still_running()
    {
        // P-52
        await using var pool = new Pool(1);

        var ex = Assert.Throws<InvalidOperationException>(pool.Join);
        Assert.Contains("Pool is still running", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pool.JoinAsync(TestTimeout));
        Assert.Equal(4, pool.ApplyAsync(TaskFunctions.Square, 2).Get(TestTimeout));
    }

    [Fact]
    public void JoinAsync_returns_false_when_timeout_passes_while_workers_are_still_busy_after_close()
    {
        // P-52 (bounded join)
        using var pool = new Pool(1);
        var result = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 2000);
        pool.Close();

        Assert.False(JoinWithin(pool, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(2000, result.Get(TestTimeout));
        Assert.True(JoinWithin(pool, TestTimeout));
    }

    // ----- terminate / dispose (P-53 to P-55) -----

    [Fact]
    public void Terminate_fails_every_pending_result_with_PoolTerminatedException_and_stops_the_workers()
    {
        // P-53 target, P-52
        using var pool = new Pool(1);
        var pid = pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout);
        var running = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 20_000);
        var queued = pool.ApplyAsync(TaskFunctions.Square, 3);
        var mapped = pool.MapAsync(TaskFunctions.SleepThenEcho, [20_000, 20_000], chunksize: 1);
        var iterator = pool.Imap(TaskFunctions.SleepThenEcho, [20_000, 20_000]);

        pool.Terminate();

        Assert.Throws<PoolTerminatedException>(() => running.Get(TestTimeout));
        Assert.Throws<PoolTerminatedException>(() => queued.Get(TestTimeout));
        Assert.Throws<PoolTerminatedException>(() => mapped.Get(TestTimeout));
        Assert.Throws<PoolTerminatedException>(() => iterator.Next(TestTimeout));
        Assert.True(JoinWithin(pool, TestTimeout));
        Assert.True(HasExited(pid), $"worker {pid} still runs after Terminate() and Join()");
    }

    [Fact]
    public void Terminate_is_harmless_when_called_twice_or_after_close()
    {
        // P-55
        using var pool = new Pool(1);
        pool.Close();
        pool.Terminate();
        pool.Terminate();

        Assert.True(JoinWithin(pool, TestTimeout));
        Assert.Equal("<Multiprocessing.Pool state=TERMINATE pool_size=1>", pool.ToString());
    }

    [Fact]
    public void Dispose_terminates_the_pool_and_fails_pending_work_with_PoolTerminatedException()
    {
        // P-54, P-53 target
        AsyncResult<int> pending;
        int pid;
        var pool = new Pool(1);
        using (pool)
        {
            pid = pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout);
            pending = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 20_000);
        }

        Assert.Throws<PoolTerminatedException>(() => pending.Get(TestTimeout));
        Assert.Equal("<Multiprocessing.Pool state=TERMINATE pool_size=1>", pool.ToString());
        Assert.Throws<InvalidOperationException>(() => pool.MapAsync(TaskFunctions.Square, [1]));
        Assert.True(JoinWithin(pool, TestTimeout));
        Assert.True(HasExited(pid), $"worker {pid} still runs after Dispose()");
    }

    [Fact]
    public async Task DisposeAsync_terminates_the_pool_and_stops_its_workers()
    {
        // P-54
        AsyncResult<int> pending;
        int pid;
        var pool = new Pool(1);
        await using (pool)
        {
            pid = await pool.ApplyAsync(TaskFunctions.Pid).GetAsync(TestTimeout);
            pending = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 20_000);
        }

        await Assert.ThrowsAsync<PoolTerminatedException>(() => pending.GetAsync(TestTimeout));
        Assert.True(HasExited(pid), $"worker {pid} still runs after DisposeAsync()");
    }

    [Fact]
    public void Callback_may_terminate_the_pool_without_deadlock()
    {
        // pain point 5: a callback may call Terminate(); its own result still completes, later work is failed
        using var pool = new Pool(1);
        var terminating = pool.ApplyAsync(TaskFunctions.Square, 4, callback: _ => pool.Terminate());
        var slow = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 20_000);

        Assert.Equal(16, terminating.Get(TestTimeout));
        Assert.Throws<PoolTerminatedException>(() => slow.Get(TestTimeout));
        Assert.True(JoinWithin(pool, TestTimeout));
    }

    // ----- maxTasksPerChild (P-60 to P-62) -----

    [Fact]
    public void MaxTasksPerChild_replaces_each_worker_after_that_many_tasks_and_results_stay_correct()
    {
        // P-60, P-62
        using var pool = new Pool(1, maxTasksPerChild: 2);

        var results = pool.MapAsync(TaskFunctions.SquareWithPid, Enumerable.Range(0, 6), chunksize: 1).Get(TestTimeout);

        Assert.Equal(Enumerable.Range(0, 6).Select(x => x * x), results.Select(r => r.X));
        var perWorker = results.GroupBy(r => r.Pid).Select(g => g.Count()).ToList();
        Assert.Equal(3, perWorker.Count);
        Assert.All(perWorker, count => Assert.Equal(2, count));
    }

    [Fact]
    public void MaxTasksPerChild_counts_a_chunk_as_one_task()
    {
        // P-60: 6 items as 2 chunks of 3 with maxTasksPerChild = 1 run in 2 processes
        using var pool = new Pool(1, maxTasksPerChild: 1);

        var results = pool.MapAsync(TaskFunctions.SquareWithPid, Enumerable.Range(0, 6), chunksize: 3).Get(TestTimeout);

        Assert.Equal(Enumerable.Range(0, 6).Select(x => x * x), results.Select(r => r.X));
        Assert.Equal(2, results.Select(r => r.Pid).Distinct().Count());
    }

    [Fact]
    public void Close_and_Join_finish_when_workers_retire_during_the_drain()
    {
        // P-56, P-60
        using var pool = new Pool(1, maxTasksPerChild: 1);
        var results = Enumerable.Range(0, 3).Select(_ => pool.ApplyAsync(TaskFunctions.SleepThenPid, 200)).ToList();

        pool.Close();

        Assert.True(JoinWithin(pool, TestTimeout));
        Assert.Equal(3, results.Select(r => r.Get(TestTimeout)).Distinct().Count());
    }

    // ----- initializer (P-05, P-06, P-61) -----

    [Fact]
    public void Initializer_runs_once_in_every_worker_before_its_tasks_including_replacement_workers()
    {
        // P-05, P-61
        using var pool = new Pool(new PoolOptions
        {
            Processes = 1,
            Initializer = (Action<int>)TaskFunctions.InitWorker,
            InitializerArgs = [42],
            MaxTasksPerChild = 1,
        });

        var results = pool.MapAsync(TaskFunctions.ReadInit, Enumerable.Range(0, 3), chunksize: 1).Get(TestTimeout);

        Assert.All(results, r => Assert.Equal((42, 1), (r.Value, r.Runs)));
        Assert.Equal(3, results.Select(r => r.Pid).Distinct().Count());
    }

    [Fact]
    public void Initializer_state_is_seen_by_every_task_of_its_worker()
    {
        // P-05
        using var pool = new Pool(new PoolOptions
        {
            Processes = 1,
            Initializer = (Action<int>)TaskFunctions.InitWorker,
            InitializerArgs = [7],
        });

        var results = pool.MapAsync(TaskFunctions.ReadInit, Enumerable.Range(0, 5), chunksize: 1).Get(TestTimeout);

        Assert.All(results, r => Assert.Equal((7, 1, results[0].Pid), r));
    }

    [Fact]
    public void Pool_breaks_with_BrokenPoolException_carrying_the_cause_when_initializer_raises()
    {
        // P-06 target: fail pending and new work with the initializer's exception instead of respawning forever
        using var pool = new Pool(1, initializer: TaskFunctions.FailingInit);
        var pending = pool.ApplyAsync(TaskFunctions.Square, 3);

        var ex = Assert.Throws<BrokenPoolException>(() => pending.Get(TestTimeout));

        var cause = Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Equal("initializer failed on purpose", cause.Message);
        Assert.Contains(nameof(TaskFunctions.FailingInit), ex.Message, StringComparison.Ordinal);
        var again = Assert.Throws<BrokenPoolException>(() => pool.ApplyAsync(TaskFunctions.Square, 4));
        Assert.IsType<InvalidOperationException>(again.InnerException);
        Assert.Throws<BrokenPoolException>(() => pool.Imap(TaskFunctions.Square, [1]));
        Assert.Contains("state=BROKEN", pool.ToString(), StringComparison.Ordinal);
        Assert.True(JoinWithin(pool, TestTimeout));
    }

    // ----- worker death (P-74 to P-76) -----

    [Fact]
    public void Killed_busy_worker_has_its_task_rerun_in_a_new_worker_process()
    {
        // P-74 target: the lost chunk runs again elsewhere; the caller gets the right result
        using var pool = new Pool(1);
        var directory = NewTempDirectory();
        try
        {
            var marker = Path.Combine(directory, "pid");
            var result = pool.ApplyAsync(TaskFunctions.WritePidThenSleepFirstTime, marker, 20_000);
            var first = WaitForPidFile(marker);

            using (var victim = OsProcess.GetProcessById(first))
            {
                victim.Kill();
            }

            var second = result.Get(TestTimeout);
            Assert.NotEqual(first, second);
            Assert.NotEqual(Environment.ProcessId, second);
            Assert.Equal(second, WaitForPidFile(marker));
            Assert.True(HasExited(first));
            Assert.Equal(second, pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Killed_busy_worker_does_not_change_map_results()
    {
        // P-74 target, P-62
        using var pool = new Pool(2);
        var directory = NewTempDirectory();
        try
        {
            var marker = Path.Combine(directory, "pid");
            var slow = pool.ApplyAsync(TaskFunctions.WritePidThenSleepFirstTime, marker, 20_000);
            var mapped = pool.MapAsync(TaskFunctions.Square, Enumerable.Range(0, 50), chunksize: 5);
            using (var victim = OsProcess.GetProcessById(WaitForPidFile(marker)))
            {
                victim.Kill();
            }

            Assert.Equal(Enumerable.Range(0, 50).Select(x => x * x), mapped.Get(TestTimeout));
            Assert.NotEqual(Environment.ProcessId, slow.Get(TestTimeout));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Killed_idle_worker_is_replaced_and_the_pool_keeps_working()
    {
        // P-75 target
        using var pool = new Pool(1);
        var first = pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout);

        using (var victim = OsProcess.GetProcessById(first))
        {
            victim.Kill();
        }

        Assert.True(HasExited(first));
        var second = pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout);
        Assert.NotEqual(first, second);
        Assert.Equal([0, 1, 4], pool.MapAsync(TaskFunctions.Square, [0, 1, 2]).Get(TestTimeout));
    }

    [Fact]
    public void Task_that_exits_its_process_every_time_fails_with_WorkerLostException_and_pool_keeps_working()
    {
        // P-76 target: the chunk runs until max-retries (3) workers died with it, then fails; the pool stays usable
        using var pool = new Pool(1);

        var ex = Assert.Throws<WorkerLostException>(() => pool.ApplyAsync(TaskFunctions.ExitProcess, 7).Get(TestTimeout));

        Assert.NotEqual(Environment.ProcessId, ex.Pid);
        Assert.True(ex.Pid > 0);
        Assert.Contains(nameof(TaskFunctions.ExitProcess), ex.Message, StringComparison.Ordinal);
        Assert.Contains("3 times", ex.Message, StringComparison.Ordinal);
        Assert.Equal(7, ex.ExitCode);
        Assert.Equal(9, pool.ApplyAsync(TaskFunctions.Square, 3).Get(TestTimeout));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void PoolOptions_MaxRetries_sets_how_many_worker_deaths_a_chunk_survives(int maxRetries)
    {
        // The default (3) comes from multiprocessing.pool.max-retries; a chaos run raises it, a strict caller lowers it.
        using var pool = new Pool(new PoolOptions { Processes = 1, MaxRetries = maxRetries });

        var ex = Assert.Throws<WorkerLostException>(() => pool.ApplyAsync(TaskFunctions.ExitProcess, 7).Get(TestTimeout));

        Assert.Contains($"{maxRetries} times", ex.Message, StringComparison.Ordinal);
        Assert.Equal(9, pool.ApplyAsync(TaskFunctions.Square, 3).Get(TestTimeout));
    }

    [Fact]
    public void PoolOptions_MaxRetries_below_1_is_refused()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Pool(new PoolOptions { Processes = 1, MaxRetries = 0 }));

        Assert.Contains("MaxRetries", ex.Message, StringComparison.Ordinal);
    }

    private static void AssertRejectsWork(Pool pool)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => pool.ApplyAsync(TaskFunctions.Square, 1));
        Assert.Contains("Pool not running", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => pool.Apply(TaskFunctions.Square, 1));
        Assert.Throws<InvalidOperationException>(() => pool.Map(TaskFunctions.Square, [1]));
        Assert.Throws<InvalidOperationException>(() => pool.MapAsync(TaskFunctions.Square, [1]));
        Assert.Throws<InvalidOperationException>(() => pool.StarMap(TaskFunctions.Add, [(1, 2)]));
        Assert.Throws<InvalidOperationException>(() => pool.StarMapAsync(TaskFunctions.Add, [(1, 2)]));
        Assert.Throws<InvalidOperationException>(() => pool.Imap(TaskFunctions.Square, [1]));
        Assert.Throws<InvalidOperationException>(() => pool.ImapUnordered(TaskFunctions.Square, [1]));
    }
}
