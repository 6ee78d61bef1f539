using System.Diagnostics;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using MpLock = Multiprocessing.Lock;
using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="Manager"/> lifecycle on a real manager process: start, shutdown, use after shutdown, and many client
/// threads on one proxy. Spec ids refer to /work/shared/spec/python-semantics.md (§1.17 M-01..M-11, §1.18 M-21). Each
/// test starts its own manager because it stops it (or may lose it).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ManagerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ThreadsBound = TimeSpan.FromSeconds(90);

    [Fact]
    public void Start_returns_a_running_manager_in_a_separate_process_when_called_in_the_main_program()
    {
        // M-01
        using var manager = Manager.Start();

        Assert.NotEqual(Environment.ProcessId, manager.Pid);
        Assert.True(OsProcesses.IsAlive(manager.Pid), $"manager process {manager.Pid} is not alive");
        var dict = manager.Dict<string, int>();
        dict["answer"] = 42;
        Assert.Equal(42, dict["answer"]);
    }

    [Fact]
    public async Task Dispose_stops_the_manager_process_when_the_using_block_ends()
    {
        // M-04, M-05
        int pid;
        using (var manager = Manager.Start())
        {
            pid = manager.Pid;
            manager.List<int>([1, 2]).Append(3);
        }

        var alive = await OsProcesses.WaitAllGoneAsync([pid], ManagerTestSupport.GoneWithin);
        Assert.Empty(alive);
    }

    [Fact]
    public async Task DisposeAsync_stops_the_manager_process_when_awaited()
    {
        // M-04 (await using)
        int pid;
        await using (var manager = await Manager.StartAsync())
        {
            pid = manager.Pid;
        }

        Assert.Empty(await OsProcesses.WaitAllGoneAsync([pid], ManagerTestSupport.GoneWithin));
    }

    [Fact]
    public async Task Shutdown_does_nothing_when_called_twice_or_followed_by_Dispose()
    {
        // M-05: calling shutdown() twice is fine.
        var manager = Manager.Start();
        var pid = manager.Pid;

        manager.Shutdown();
        manager.Shutdown();
        await manager.ShutdownAsync();
        manager.Dispose();

        Assert.Empty(await OsProcesses.WaitAllGoneAsync([pid], ManagerTestSupport.GoneWithin));
    }

    [Fact]
    public void Factories_throw_ObjectDisposedException_when_the_manager_has_shut_down()
    {
        // M-06: creating an object after shutdown fails at once (Python: AssertionError "server not yet started").
        var manager = Manager.Start();
        manager.Shutdown();

        Assert.Throws<ObjectDisposedException>(() => manager.Dict<string, int>());
        Assert.Throws<ObjectDisposedException>(() => manager.List<int>());
        Assert.Throws<ObjectDisposedException>(() => manager.Namespace());
        Assert.Throws<ObjectDisposedException>(() => manager.Value(1));
        Assert.Throws<ObjectDisposedException>(() => manager.Array<int>(3));
        Assert.Throws<ObjectDisposedException>(() => manager.Lock());
        Assert.Throws<ObjectDisposedException>(() => manager.RLock());
        Assert.Throws<ObjectDisposedException>(() => manager.Semaphore(2));
        Assert.Throws<ObjectDisposedException>(() => manager.BoundedSemaphore(2));
    }

    [Fact]
    public void Proxy_call_throws_ManagerUnavailableException_when_the_manager_has_shut_down()
    {
        // M-06: calling an existing proxy after shutdown is a connection error (one ManagerUnavailableException, App. B),
        // never a hang. The proxy was used before, and a second one was never called before the shutdown.
        var manager = Manager.Start();
        var used = manager.Dict<string, int>();
        used["a"] = 1;
        var unused = manager.List<int>();
        manager.Shutdown();

        var clock = Stopwatch.StartNew();
        var first = ManagerTestSupport.Capture(() => used["a"]);
        var firstTime = clock.Elapsed;
        clock.Restart();
        var second = ManagerTestSupport.Capture(() => unused.Count);
        var secondTime = clock.Elapsed;
        output.WriteLine($"after shutdown: used proxy failed in {firstTime.TotalMilliseconds:0} ms, never-called proxy in {secondTime.TotalMilliseconds:0} ms");

        Assert.IsType<ManagerUnavailableException>(first);
        Assert.IsType<ManagerUnavailableException>(second);
    }

    [Fact]
    public async Task Shutdown_fails_a_blocked_Acquire_with_ManagerUnavailableException_when_the_lock_is_held()
    {
        // M-06: a call waiting in the manager when it shuts down fails with the connection error, never hangs
        var manager = Manager.Start();
        var lk = manager.Lock();
        Assert.True(lk.Acquire(timeout: ManagerTestSupport.TestTimeout));
        var blocked = lk.AcquireAsync();
        await Task.Delay(300);
        Assert.False(blocked.IsCompleted, "the second acquire of a held lock should block");

        var clock = Stopwatch.StartNew();
        await manager.ShutdownAsync().WaitAsync(ManagerTestSupport.TestTimeout);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => blocked.WaitAsync(ManagerTestSupport.TestTimeout));
        output.WriteLine($"blocked Acquire failed {clock.Elapsed.TotalMilliseconds:0} ms after Shutdown began");

        Assert.IsType<ManagerUnavailableException>(error);
    }

    [Fact]
    public async Task Increment_loses_no_update_and_the_manager_stays_available_when_64_threads_block_on_one_proxy()
    {
        // M-21: each client thread may use proxies (a blocking call blocks only its caller); M-24 target: nothing is
        // lost. Own manager: if the manager is wrongly declared dead, the fixture's manager would be lost for the class.
        using var manager = Manager.Start();
        var value = manager.Value(0L);
        var clock = Stopwatch.StartNew();

        var threads = Enumerable.Range(0, 64).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                value.Increment(1);
            }
        }));
        var error = await Record(Task.WhenAll(threads));
        output.WriteLine($"64 threads x 100 blocking increments ended after {clock.Elapsed.TotalMilliseconds:0} ms with " +
            $"{error?.GetType().Name ?? "no error"}; manager process alive: {OsProcesses.IsAlive(manager.Pid)}");

        Assert.Null(error);
        Assert.Equal(6400L, value.Value);
    }

    [Fact]
    public void Start_throws_InvalidOperationException_when_called_in_a_pool_worker()
    {
        // Daemonic processes may not have children (P-08, PR-13): a pool worker cannot start a manager.
        using var pool = new Pool(1);

        var error = ManagerTestSupport.Capture(() => pool.Apply(ManagerTargets.StartManagerAndReturnPid));

        Assert.IsType<InvalidOperationException>(error);
    }

    /// <summary>The exception <paramref name="task"/> ends with (null on success), waiting at most <see cref="ThreadsBound"/>.</summary>
    private static async Task<Exception?> Record(Task task)
    {
        try
        {
            await task.WaitAsync(ThreadsBound);
            return null;
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new Xunit.Sdk.XunitException($"The calls did not end within {ThreadsBound.TotalSeconds:0} s (a hang).");
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}

/// <summary>A manager process shared by the tests of one class that do not stop it (each start costs about 0.5 s).</summary>
public sealed class ManagerFixture : IDisposable
{
    public ManagerFixture() => Manager = Manager.Start();

    public Manager Manager { get; }

    public void Dispose() => Manager.Dispose();
}

/// <summary>Bounds and helpers of the manager tests: every blocking call is bounded so a bug fails instead of hanging.</summary>
internal static class ManagerTestSupport
{
    /// <summary>The bound of every blocking call on a proxy.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a stopped or killed process may take to disappear.</summary>
    public static readonly TimeSpan GoneWithin = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The liveness bound for noticing a dead manager or lock holder: the target is about 2 s (M-08); this is generous so
    /// machine noise does not fail the test, and the measured time is written to the test output.
    /// </summary>
    public static readonly TimeSpan DeathNoticedWithin = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="call"/> on another thread, waiting at most <see cref="TestTimeout"/>; its exceptions propagate.</summary>
    public static T Bounded<T>(Func<T> call) => Task.Run(call).WaitAsync(TestTimeout).GetAwaiter().GetResult();

    /// <summary>The void form of <see cref="Bounded{T}(Func{T})"/>.</summary>
    public static void Bounded(Action call) => Task.Run(call).WaitAsync(TestTimeout).GetAwaiter().GetResult();

    /// <summary>The exception <paramref name="call"/> throws within <see cref="TestTimeout"/>, or null; a hang fails the test.</summary>
    public static Exception? Capture<T>(Func<T> call) => Capture(() => { _ = call(); });

    /// <summary>The void form of <see cref="Capture{T}(Func{T})"/>.</summary>
    public static Exception? Capture(Action call)
    {
        var task = Task.Run(call);
        try
        {
            task.WaitAsync(TestTimeout).GetAwaiter().GetResult();
            return null;
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new Xunit.Sdk.XunitException($"The call did not end within {TestTimeout.TotalSeconds:0} s (a hang).");
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds or <see cref="TestTimeout"/> passes.</summary>
    public static bool WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }

    /// <summary>SIGKILLs the manager process and waits (bounded) until the OS reports it gone.</summary>
    public static void KillManagerProcess(Manager manager)
    {
        using var process = OsProcess.GetProcessById(manager.Pid);
        process.Kill();
        Assert.True(process.WaitForExit(GoneWithin), $"manager process {manager.Pid} did not exit after SIGKILL");
    }
}

/// <summary>Functions run by pool workers and Process children in the manager tests: public static, found by name.</summary>
public static class ManagerTargets
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static int StartManagerAndReturnPid()
    {
        using var manager = Manager.Start();
        return manager.Pid;
    }

    public static int RecordSquare(DictProxy<int, int> squares, ListProxy<int> pids, int n)
    {
        squares[n] = n * n;
        pids.Append(Environment.ProcessId);
        return n;
    }

    public static int ReadTimesTwo(DictProxy<string, int> dict, string key) => dict[key] * 2;

    public static int AppendThroughNestedProxy(DictProxy<string, ListProxy<int>> outer, string key, int item)
    {
        outer[key].Append(item);
        return Environment.ProcessId;
    }

    public static int IncrementValue(ValueProxy<int> value, int times)
    {
        for (var i = 0; i < times; i++)
        {
            value.Increment(1);
        }

        return Environment.ProcessId;
    }

    public static void FillFromChild(NamespaceProxy ns, ListProxy<string> list, DictProxy<string, int> dict)
    {
        ns.Set("child_pid", Environment.ProcessId);
        list.Append("from child");
        dict["doubled"] = dict["input"] * 2;
    }

    /// <summary>Registers as ready, waits for the shared go flag, so all children hammer the manager at the same time.</summary>
    public static void WaitForGo(ValueProxy<int> ready, ValueProxy<bool> go)
    {
        ready.Increment(1);
        var deadline = DateTime.UtcNow + Bound;
        while (!go.Value)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the go flag was not set within 30 s");
            }

            Thread.Sleep(5);
        }
    }

    /// <summary>Per round: one atomic increment of <paramref name="value"/> and of dict["count"], and one plain read+write of <paramref name="plain"/>.</summary>
    public static void IncrementMany(
        ValueProxy<int> ready, ValueProxy<bool> go, ValueProxy<int> value, DictProxy<string, int> dict, ValueProxy<int> plain, int times)
    {
        WaitForGo(ready, go);
        for (var i = 0; i < times; i++)
        {
            value.Increment(1);
            dict.Increment("count", 1);
            plain.Value = plain.Value + 1;
        }
    }

    public static void ReadWriteManyUnderLock(ValueProxy<int> ready, ValueProxy<bool> go, MpLock lk, DictProxy<string, int> dict, int times)
    {
        WaitForGo(ready, go);
        for (var i = 0; i < times; i++)
        {
            if (!lk.Acquire(timeout: Bound))
            {
                throw new TimeoutException("the manager lock was not free within 30 s");
            }

            try
            {
                dict["count"] = dict["count"] + 1;
            }
            finally
            {
                lk.Release();
            }
        }
    }

    public static void HoldLockForever(MpLock lk, ValueProxy<int> holder)
    {
        if (!lk.Acquire(timeout: Bound))
        {
            throw new TimeoutException("the manager lock was not free within 30 s");
        }

        holder.Value = Environment.ProcessId;
        Thread.Sleep(Timeout.Infinite);
    }

    public static bool SignalThenAcquire(ValueProxy<bool> started, MpLock lk)
    {
        started.Value = true;
        return lk.Acquire(timeout: Bound);
    }
}
