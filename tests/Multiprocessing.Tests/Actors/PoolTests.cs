using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>Pool construction, <c>Apply</c>/<c>ApplyAsync</c>, callbacks and <see cref="AsyncResult"/> on real worker processes.</summary>
[Collection("processes")]
public sealed class PoolTests
{
    // ----- construction (1.1) -----

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_throws_ArgumentOutOfRangeException_when_processes_is_below_one(int processes)
    {
        // P-02
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Pool(processes));
        Assert.Contains("Number of processes must be at least 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(processes, ex.ActualValue);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_throws_ArgumentOutOfRangeException_when_maxTasksPerChild_is_below_one(int maxTasksPerChild)
    {
        // P-03
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Pool(1, maxTasksPerChild: maxTasksPerChild));
        Assert.Contains("maxTasksPerChild must be a positive number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_throws_ArgumentException_naming_the_variable_when_initializer_captures_state()
    {
        // P-04 (an initializer that cannot be sent is refused at construction)
        var greeting = "hello";
        var ex = Assert.Throws<ArgumentException>(() => new Pool(1, initializer: () => Console.WriteLine(greeting)));
        Assert.Contains("'greeting'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_throws_ArgumentException_when_initializer_arguments_do_not_match()
    {
        // P-04
        var ex = Assert.Throws<ArgumentException>(() => new Pool(new PoolOptions
        {
            Processes = 1,
            Initializer = (Action<int>)TaskFunctions.InitWorker,
            InitializerArgs = [1, 2],
        }));
        Assert.Contains("takes 1 argument(s) but 2 were given", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_uses_one_worker_per_cpu_when_processes_is_null()
    {
        // P-01
        using var pool = new Pool();
        Assert.Equal(Environment.ProcessorCount, pool.Processes);
        Assert.Equal(9, pool.ApplyAsync(TaskFunctions.Square, 3).Get(TestTimeout));
    }

    [Fact]
    public void Pool_runs_tasks_in_as_many_worker_processes_as_requested_and_none_is_the_driver()
    {
        // P-07
        using var pool = new Pool(2);
        Assert.Equal(2, pool.Processes);
        Assert.Equal("<Multiprocessing.Pool state=RUN pool_size=2>", pool.ToString());

        var pids = WarmUp(pool);

        Assert.Equal(2, pids.Count);
        Assert.DoesNotContain(Environment.ProcessId, pids);
    }

    [Fact]
    public void ToString_reports_CLOSE_and_TERMINATE_when_pool_is_closed_then_terminated()
    {
        // P-11
        using var pool = new Pool(1);
        pool.Close();
        Assert.Equal("<Multiprocessing.Pool state=CLOSE pool_size=1>", pool.ToString());
        pool.Terminate();
        Assert.Equal("<Multiprocessing.Pool state=TERMINATE pool_size=1>", pool.ToString());
    }

    // ----- apply and apply_async (1.2) -----

    [Fact]
    public void Apply_returns_the_result_computed_in_a_worker_process()
    {
        // P-20
        using var pool = new Pool(1);

        var (value, pid) = Bounded(() => pool.Apply(TaskFunctions.SquareWithPid, 7));

        Assert.Equal(49, value);
        Assert.NotEqual(Environment.ProcessId, pid);
    }

    [Fact]
    public void Apply_passes_every_argument_when_function_takes_zero_to_three_arguments()
    {
        // P-20
        using var pool = new Pool(1);

        Assert.NotEqual(Environment.ProcessId, Bounded(() => pool.Apply(TaskFunctions.Pid)));
        Assert.Equal(5, Bounded(() => pool.Apply(TaskFunctions.Add, 2, 3)));
        Assert.Equal(6, Bounded(() => pool.Apply(TaskFunctions.Add3, 1, 2, 3)));
        Assert.Equal(12, Bounded(() => pool.Apply(static x => x * 4, 3)));
        Bounded(() => pool.Apply(TaskFunctions.Sleep, 1));
    }

    [Fact]
    public void Apply_raises_the_task_exception_with_same_type_message_and_remote_stack_when_task_throws()
    {
        // P-20, AR-06
        using var pool = new Pool(1);

        var ex = Assert.Throws<InvalidOperationException>(() => Bounded(() => pool.Apply(TaskFunctions.RaiseInvalidOperation, "boom 42")));

        Assert.Equal("boom 42", ex.Message);
        var remote = Assert.IsType<string>(ex.Data["RemoteStackTrace"]);
        Assert.Contains(nameof(TaskFunctions.RaiseInvalidOperation), remote, StringComparison.Ordinal);
        Assert.Contains("boom 42", remote, StringComparison.Ordinal);
        Assert.Contains("worker process", remote, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_raises_RemoteTaskException_and_pool_keeps_working_when_exception_type_cannot_be_rebuilt()
    {
        // P-73 target
        using var pool = new Pool(1);

        var ex = Assert.Throws<RemoteTaskException>(() => Bounded(() => pool.Apply(TaskFunctions.RaiseWithoutMessageConstructor, 7)));

        Assert.Equal(typeof(CodeOnlyException).FullName, ex.RemoteType);
        Assert.Contains("failed with code 7", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(TaskFunctions.RaiseWithoutMessageConstructor), ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Equal(9, pool.ApplyAsync(TaskFunctions.Square, 3).Get(TestTimeout));
    }

    [Fact]
    public void ApplyAsync_returns_a_pending_result_at_once_when_task_is_slow()
    {
        // P-21, AR-04
        using var pool = new Pool(1);

        var result = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 1500);

        Assert.False(result.Ready);
        Assert.Equal(1500, result.Get(TestTimeout));
        Assert.True(result.Ready);
    }

    [Fact]
    public void ApplyAsync_runs_callback_on_the_driver_result_thread_before_result_is_ready()
    {
        // P-22, P-23, P-24
        using var pool = new Pool(1);
        var testThread = Environment.CurrentManagedThreadId;
        int? seen = null;
        string? threadName = null;
        var threadId = 0;
        var processId = 0;
        var errors = 0;

        var result = pool.ApplyAsync(
            TaskFunctions.Square,
            6,
            callback: value =>
            {
                seen = value;
                threadName = Thread.CurrentThread.Name;
                threadId = Environment.CurrentManagedThreadId;
                processId = Environment.ProcessId;
            },
            errorCallback: _ => errors++);

        Assert.Equal(36, result.Get(TestTimeout));
        Assert.Equal(36, seen);
        Assert.NotNull(threadName);
        Assert.StartsWith("multiprocessing-pool-", threadName, StringComparison.Ordinal);
        Assert.EndsWith("-results", threadName, StringComparison.Ordinal);
        Assert.NotEqual(testThread, threadId);
        Assert.Equal(Environment.ProcessId, processId);
        Assert.Equal(0, errors);
    }

    [Fact]
    public void ApplyAsync_calls_only_the_error_callback_with_the_task_exception_when_task_throws()
    {
        // P-22
        using var pool = new Pool(1);
        Exception? received = null;
        var successes = 0;

        var result = pool.ApplyAsync(
            TaskFunctions.RaiseInvalidOperation, "callback me", callback: _ => successes++, errorCallback: e => received = e);

        var ex = Assert.Throws<InvalidOperationException>(() => result.Get(TestTimeout));
        Assert.Same(ex, received);
        Assert.Equal("callback me", ex.Message);
        Assert.Equal(0, successes);
    }

    [Fact]
    public void ApplyAsync_calls_callbacks_in_completion_order_when_tasks_finish_out_of_order()
    {
        // P-25
        using var pool = new Pool(2);
        WarmUp(pool);
        var order = new List<int>();

        var slow = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 1500, callback: v => { lock (order) { order.Add(v); } });
        var fast = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 0, callback: v => { lock (order) { order.Add(v); } });

        Assert.Equal(1500, slow.Get(TestTimeout));
        Assert.Equal(0, fast.Get(TestTimeout));
        lock (order)
        {
            Assert.Equal([0, 1500], order);
        }
    }

    [Fact]
    public void ApplyAsync_delivers_a_finished_result_while_a_later_task_on_the_same_worker_still_runs()
    {
        // P-21, P-25: a result is delivered when its task completes, not held back by the next queued task.
        using var pool = new Pool(1);

        var fast = pool.ApplyAsync(TaskFunctions.Square, 5);
        var slow = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 60_000);

        Assert.Equal(25, fast.Get(TestTimeout));
        Assert.False(slow.Ready);
    }

    [Fact]
    public void Get_raises_the_callback_exception_and_pool_keeps_working_when_callback_raises()
    {
        // P-26 target
        using var pool = new Pool(1);

        var broken = pool.ApplyAsync(TaskFunctions.Square, 3, callback: _ => throw new InvalidOperationException("callback failed"));

        var ex = Assert.Throws<InvalidOperationException>(() => broken.Get(TestTimeout));
        Assert.Equal("callback failed", ex.Message);
        Assert.False(broken.Successful());

        var called = 0;
        var next = pool.ApplyAsync(TaskFunctions.Square, 4, callback: _ => called++);
        Assert.Equal(16, next.Get(TestTimeout));
        Assert.Equal(1, called);
    }

    [Fact]
    public void Get_raises_the_error_callback_exception_when_error_callback_raises()
    {
        // P-26 target
        using var pool = new Pool(1);

        var result = pool.ApplyAsync(
            TaskFunctions.RaiseInvalidOperation, "task failed", errorCallback: _ => throw new FormatException("error callback failed"));

        var ex = Assert.Throws<FormatException>(() => result.Get(TestTimeout));
        Assert.Equal("error callback failed", ex.Message);
        Assert.Equal(7, pool.ApplyAsync(TaskFunctions.Add, 3, 4).Get(TestTimeout));
    }

    // ----- AsyncResult (1.3) -----

    [Fact]
    public void Get_raises_MultiprocessingTimeoutException_when_not_ready_in_time_and_a_later_get_succeeds()
    {
        // AR-02
        using var pool = new Pool(1);
        var result = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 2000);

        var ex = Assert.Throws<MultiprocessingTimeoutException>(() => result.Get(TimeSpan.FromMilliseconds(100)));

        Assert.IsAssignableFrom<TimeoutException>(ex);
        Assert.False(result.Ready);
        Assert.Equal(2000, result.Get(TestTimeout));
    }

    [Fact]
    public void Successful_throws_InvalidOperationException_when_not_ready_then_reports_the_outcome()
    {
        // AR-04, AR-05
        using var pool = new Pool(1);
        var slow = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 1500);
        var failing = pool.ApplyAsync(TaskFunctions.RaiseInvalidOperation, "no");

        Assert.False(slow.Ready);
        Assert.Throws<InvalidOperationException>(() => slow.Successful());

        slow.Wait(TestTimeout);
        failing.Wait(TestTimeout);
        Assert.True(slow.Ready);
        Assert.True(slow.Successful());
        Assert.True(failing.Ready);
        Assert.False(failing.Successful());
    }

    [Fact]
    public void Wait_returns_without_raising_when_task_failed()
    {
        // AR-03
        using var pool = new Pool(1);
        var result = pool.ApplyAsync(TaskFunctions.RaiseInvalidOperation, "quiet");

        result.Wait(TestTimeout);

        Assert.True(result.Ready);
        Assert.Throws<InvalidOperationException>(() => result.Get(TestTimeout));
    }

    [Fact]
    public void Wait_returns_when_timeout_passes_before_the_task_finishes()
    {
        // AR-03
        using var pool = new Pool(1);
        var result = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 2000);

        result.Wait(TimeSpan.FromMilliseconds(50));

        Assert.False(result.Ready);
        Assert.Equal(2000, result.Get(TestTimeout));
    }

    [Fact]
    public void Get_returns_the_same_value_or_raises_the_same_exception_when_called_again()
    {
        // AR-01
        using var pool = new Pool(1);
        var ok = pool.ApplyAsync(TaskFunctions.Square, 8);
        var failing = pool.ApplyAsync(TaskFunctions.RaiseInvalidOperation, "again");

        Assert.Equal(64, ok.Get(TestTimeout));
        Assert.Equal(64, ok.Get(TestTimeout));
        var first = Assert.Throws<InvalidOperationException>(() => failing.Get(TestTimeout));
        var second = Assert.Throws<InvalidOperationException>(() => failing.Get(TestTimeout));
        Assert.Same(first, second);
    }

    [Fact]
    public void Get_throws_ArgumentOutOfRangeException_when_timeout_is_negative()
    {
        using var pool = new Pool(1);
        var result = pool.ApplyAsync(TaskFunctions.Square, 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => result.Get(TimeSpan.FromSeconds(-5)));
        Assert.Equal(4, result.Get(TestTimeout));
    }

    [Fact]
    public async Task GetAsync_returns_the_value_and_raises_MultiprocessingTimeoutException_when_not_ready_in_time()
    {
        // AR-01, AR-02 (awaitable form)
        await using var pool = new Pool(1);
        var slow = pool.ApplyAsync(TaskFunctions.SleepThenEcho, 1500);

        await Assert.ThrowsAsync<MultiprocessingTimeoutException>(() => slow.GetAsync(TimeSpan.FromMilliseconds(50)));

        Assert.Equal(1500, await slow.GetAsync(TestTimeout));
        Assert.Equal(10, await pool.ApplyAsync(TaskFunctions.Add, 4, 6).Task.WaitAsync(TestTimeout));
    }

    [Fact]
    public void ApplyAsync_without_result_completes_and_runs_callback_when_function_returns_void()
    {
        // P-21, P-22
        using var pool = new Pool(1);
        var called = 0;

        var result = pool.ApplyAsync(TaskFunctions.Sleep, 10, callback: () => called++);

        result.Get(TestTimeout);
        Assert.True(result.Successful());
        Assert.Equal(1, called);
    }

    // ----- serialization failures (1.8) -----

    [Fact]
    public void ApplyAsync_throws_TaskSerializationException_at_the_call_when_argument_is_a_stream()
    {
        // P-71, pain point 7
        using var pool = new Pool(1);
        using var stream = new MemoryStream([1, 2, 3]);

        var ex = Assert.Throws<TaskSerializationException>(() => pool.ApplyAsync(TaskFunctions.StreamLength, (Stream)stream));

        Assert.Contains("Stream", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(TaskFunctions.StreamLength), ex.Message, StringComparison.Ordinal);
        Assert.Equal(9, pool.ApplyAsync(TaskFunctions.Square, 3).Get(TestTimeout));
    }

    [Fact]
    public void ApplyAsync_throws_TaskSerializationException_at_the_call_when_argument_property_getter_throws()
    {
        // P-71
        using var pool = new Pool(1);

        var ex = Assert.Throws<TaskSerializationException>(() => pool.ApplyAsync(TaskFunctions.ValueOf, new FragileValue { Seed = -4 }));

        Assert.Contains(typeof(FragileValue).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.Contains("seed -4 cannot be read", ex.Message, StringComparison.Ordinal);
        Assert.Equal(40, pool.ApplyAsync(TaskFunctions.ValueOf, new FragileValue { Seed = 4 }).Get(TestTimeout));
    }

    [Fact]
    public void Get_raises_TaskSerializationException_and_worker_survives_when_result_cannot_be_serialized()
    {
        // P-72
        using var pool = new Pool(1);
        var before = pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout);

        for (var i = 0; i < 5; i++)
        {
            Exception? received = null;
            var result = pool.ApplyAsync(TaskFunctions.MakeFragile, -1 - i, errorCallback: e => received = e);
            var ex = Assert.Throws<TaskSerializationException>(() => result.Get(TestTimeout));
            Assert.Same(ex, received);
            Assert.Contains($"seed {-1 - i} cannot be read", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, pool.ApplyAsync(TaskFunctions.Pid).Get(TestTimeout));
        Assert.Equal(3, pool.ApplyAsync(TaskFunctions.MakeFragile, 3).Get(TestTimeout).Seed);
    }

    [Fact]
    public void ApplyAsync_throws_TaskSerializationException_at_the_call_when_argument_is_a_pool()
    {
        // P-09
        using var pool = new Pool(1);

        var ex = Assert.Throws<TaskSerializationException>(() => pool.ApplyAsync(TaskFunctions.PoolSize, pool));

        Assert.Contains("Pool", ex.Message, StringComparison.Ordinal);
        Assert.Equal(9, pool.ApplyAsync(TaskFunctions.Square, 3).Get(TestTimeout));
    }

    [Fact]
    public void ApplyAsync_throws_ArgumentException_when_function_is_an_instance_method()
    {
        // P-70
        using var pool = new Pool(1);
        var holder = new InstanceHolder(2);

        var ex = Assert.Throws<ArgumentException>(() => pool.ApplyAsync(holder.Times, 3));

        Assert.Contains("instance method", ex.Message, StringComparison.Ordinal);
        Assert.Equal(9, pool.ApplyAsync(TaskFunctions.Square, 3).Get(TestTimeout));
    }

    private sealed class InstanceHolder(int factor)
    {
        public int Times(int x) => x * factor;
    }
}
