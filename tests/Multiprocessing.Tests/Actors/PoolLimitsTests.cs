using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Per-task time limits (pain point 17: Python has none), memory recycling (peers: billiard's max_memory_per_child)
/// and a bounded Terminate() (P-53 target), on real worker processes.
/// </summary>
[Collection("processes")]
public sealed class PoolLimitsTests
{
    // ----- soft limit: the task's CancellationToken -----

    [Fact]
    public void Soft_limit_cancels_the_token_and_the_task_fails_with_TaskTimeoutException_while_its_worker_lives_on()
    {
        using var pool = new Pool(1);
        var pid = pool.Apply(TaskFunctions.Pid);
        var limits = new TaskLimits { Timeout = TimeSpan.FromMilliseconds(500) };

        var result = pool.ApplyAsync(LimitFunctions.WaitUnlessCancelled, 120_000, limits);

        var ex = Assert.Throws<TaskTimeoutException>(() => result.Get(TestTimeout));
        Assert.False(ex.Hard);
        Assert.Equal(pid, ex.Pid);
        Assert.Equal(TimeSpan.FromMilliseconds(500), ex.Limit);
        Assert.Contains(nameof(LimitFunctions.WaitUnlessCancelled), ex.Message, StringComparison.Ordinal);
        Assert.Contains("TaskTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Contains(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Equal(pid, pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout));
    }

    [Fact]
    public void Pool_TaskTimeout_applies_to_each_map_chunk_and_tasks_within_it_keep_their_results()
    {
        using var pool = new Pool(new PoolOptions { Processes = 2, TaskTimeout = TimeSpan.FromSeconds(1) });

        var fast = pool.Map(LimitFunctions.WaitUnlessCancelled, [10, 20, 30], chunksize: 1);
        var slow = pool.MapAsync(LimitFunctions.WaitUnlessCancelled, [10, 120_000, 30], chunksize: 1);

        Assert.Equal([10, 20, 30], fast);
        Assert.Throws<TaskTimeoutException>(() => slow.Get(TestTimeout));
    }

    [Fact]
    public void Token_of_a_task_without_limit_cannot_be_cancelled_and_is_not_an_argument()
    {
        using var pool = new Pool(1);

        var (canBeCanceled, pid) = pool.ApplyAsync(LimitFunctions.TokenInfo).Get(TestTimeout);
        var limited = pool.ApplyAsync(LimitFunctions.TokenInfo, new TaskLimits { Timeout = TimeSpan.FromSeconds(30) }).Get(TestTimeout);

        Assert.False(canBeCanceled);
        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.True(limited.CanBeCanceled);
        var ex = Assert.Throws<ArgumentException>(() => pool.ApplyAsync(LimitFunctions.WaitUnlessCancelled, 1, CancellationToken.None));
        Assert.Contains("CancellationToken", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initializer_may_take_a_CancellationToken_after_its_arguments()
    {
        using var pool = new Pool(new PoolOptions
        {
            Processes = 1,
            Initializer = (Action<int, CancellationToken>)LimitFunctions.InitWithToken,
            InitializerArgs = [5],
        });

        Assert.Equal(5, pool.ApplyAsync(LimitFunctions.Initialized).Get(TestTimeout));
    }

    // ----- hard limit: the worker is killed -----

    [Fact]
    public void Hard_limit_kills_the_worker_fails_only_that_task_and_reruns_the_chunks_it_held()
    {
        using var pool = new Pool(new PoolOptions { Processes = 1, TaskHardTimeout = TimeSpan.FromSeconds(1) });
        var first = pool.Apply(TaskFunctions.Pid);

        var stuck = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 120_000);
        var queued = pool.MapAsync(TaskFunctions.SquareWithPid, Enumerable.Range(0, 6), chunksize: 1);

        var ex = Assert.Throws<TaskTimeoutException>(() => stuck.Get(TestTimeout));
        Assert.True(ex.Hard);
        Assert.Equal(first, ex.Pid);
        Assert.Equal(TimeSpan.FromSeconds(1), ex.Limit);
        Assert.Contains(nameof(TaskFunctions.SleepThenEcho), ex.Message, StringComparison.Ordinal);
        Assert.Contains("TaskHardTimeout", ex.Message, StringComparison.Ordinal);
        Assert.True(HasExited(first), $"worker {first} still runs after its task passed the hard limit");
        var results = queued.Get(TestTimeout);
        Assert.Equal(Enumerable.Range(0, 6).Select(x => x * x), results.Select(r => r.X));
        Assert.DoesNotContain(first, results.Select(r => r.Pid));
        Assert.NotEqual(first, pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout));
    }

    [Fact]
    public void Hard_limit_times_the_running_task_not_the_time_it_waited_in_a_workers_queue()
    {
        // Two chunks are sent to the one worker at once (prefetch); the second waits 1.2 s there, then runs 1.2 s.
        using var pool = new Pool(new PoolOptions { Processes = 1, TaskHardTimeout = TimeSpan.FromSeconds(2) });
        var pid = pool.Apply(TaskFunctions.Pid);

        var results = pool.MapAsync(TaskFunctions.SleepThenPid, [1200, 1200, 1200], chunksize: 1).Get(TestTimeout);

        Assert.Equal([pid, pid, pid], results);
    }

    [Fact]
    public void Per_call_hard_limit_applies_to_that_call_only()
    {
        using var pool = new Pool(1);
        var limits = new TaskLimits { HardTimeout = TimeSpan.FromMilliseconds(700) };

        var limited = pool.ApplyAsync(LimitFunctions.WaitUnlessCancelled, 120_000, limits);
        var unlimited = pool.ApplyAsync(LimitFunctions.WaitUnlessCancelled, 1500);

        Assert.True(Assert.Throws<TaskTimeoutException>(() => limited.Get(TestTimeout)).Hard);
        Assert.Equal(1500, unlimited.Get(TestTimeout));
    }

    [Fact]
    public void Invalid_limits_are_refused_with_a_message_naming_the_option()
    {
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new Pool(new PoolOptions { TaskTimeout = TimeSpan.FromSeconds(-1) }));
        Assert.Contains("PoolOptions.TaskTimeout", negative.Message, StringComparison.Ordinal);
        var order = Assert.Throws<ArgumentException>(
            () => new Pool(new PoolOptions { TaskTimeout = TimeSpan.FromSeconds(2), TaskHardTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Contains("PoolOptions.TaskHardTimeout", order.Message, StringComparison.Ordinal);
        var memory = Assert.Throws<ArgumentOutOfRangeException>(() => new Pool(new PoolOptions { MaxMemoryPerChild = 0 }));
        Assert.Contains("MaxMemoryPerChild", memory.Message, StringComparison.Ordinal);
        using var pool = new Pool(new PoolOptions { Processes = 1, TaskHardTimeout = TimeSpan.FromSeconds(1) });
        var perCall = Assert.Throws<ArgumentException>(
            () => pool.ApplyAsync(LimitFunctions.WaitUnlessCancelled, 1, new TaskLimits { Timeout = TimeSpan.FromSeconds(5) }));
        Assert.Contains("TaskLimits.Timeout", perCall.Message, StringComparison.Ordinal);
    }

    // ----- memory recycling -----

    [Fact]
    public void MaxMemoryPerChild_replaces_a_worker_whose_memory_grew_past_it_and_results_stay_correct()
    {
        // The limit sits 100 MiB above a fresh worker; each task keeps 48 MiB, so a worker lasts two or three tasks.
        long baseline;
        using (var probe = new Pool(1))
        {
            baseline = probe.Apply(LimitFunctions.WorkingSet);
        }

        using var pool = new Pool(new PoolOptions { Processes = 1, MaxMemoryPerChild = baseline + (100L * 1024 * 1024) });

        var results = pool.StarMapAsync(LimitFunctions.HoldMemory, Enumerable.Range(0, 8).Select(x => (x, 48)), chunksize: 1)
            .Get(TestTimeout);

        Assert.Equal(Enumerable.Range(0, 8), results.Select(r => r.X));
        var pids = results.Select(r => r.Pid).Distinct().ToList();
        Assert.True(pids.Count >= 3, $"expected the worker to be replaced at least twice, saw pids {string.Join(", ", pids)}");
        Assert.All(pids.SkipLast(1), pid => Assert.True(HasExited(pid), $"retired worker {pid} still runs"));
    }

    // ----- terminate is bounded -----

    [Fact]
    public void Terminate_kills_a_worker_that_does_not_stop_within_the_grace_and_fails_pending_results()
    {
        // P-53 target, pain point 17: terminate-grace (1 s) passes, then the worker is killed.
        var directory = NewTempDirectory();
        try
        {
            using var pool = new Pool(1);
            var marker = Path.Combine(directory, "pid");
            var stuck = pool.ApplyAsync(LimitFunctions.RefuseToExit, marker, 120_000);
            var queued = pool.ApplyAsync(TaskFunctions.Square, 3);
            var pid = WaitForPidFile(marker);

            pool.Terminate();

            Assert.Throws<PoolTerminatedException>(() => stuck.Get(TestTimeout));
            Assert.Throws<PoolTerminatedException>(() => queued.Get(TestTimeout));
            Assert.True(JoinWithin(pool, TestTimeout), "Join() did not return after Terminate()");
            Assert.True(HasExited(pid), $"worker {pid} still runs after Terminate()");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
