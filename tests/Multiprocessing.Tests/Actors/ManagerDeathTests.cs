using System.Diagnostics;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// A manager process that is SIGKILLed: calls on existing proxies, calls pending at the moment of death and new objects
/// all fail with <see cref="ManagerUnavailableException"/> within about 2 s, never hang (M-08 target; Python raises
/// BrokenPipeError/EOFError/ConnectionRefusedError). Spec ids refer to /work/shared/spec/python-semantics.md (§1.17).
/// Each test starts its own manager because it kills it; the measured times go to the test output.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ManagerDeathTests(ITestOutputHelper output)
{
    [Fact]
    public void ProxyCall_throws_ManagerUnavailableException_within_seconds_when_the_manager_process_was_killed()
    {
        // M-08 target: the next call on an existing proxy fails within about 2 s
        using var manager = Manager.Start();
        var dict = manager.Dict<string, int>();
        dict["a"] = 1;
        var list = manager.List<int>([1]);
        Assert.Equal(1, list.Count);

        var clock = Stopwatch.StartNew();
        ManagerTestSupport.KillManagerProcess(manager);
        var error = ManagerTestSupport.Capture(() => dict["a"]);
        var elapsed = clock.Elapsed;
        output.WriteLine($"first call after SIGKILL failed after {elapsed.TotalMilliseconds:0} ms with {error?.GetType().Name}");

        var unavailable = Assert.IsType<ManagerUnavailableException>(error);
        Assert.Contains("dict.get", unavailable.Message, StringComparison.Ordinal);
        Assert.True(elapsed < ManagerTestSupport.DeathNoticedWithin, $"the death was noticed after {elapsed.TotalMilliseconds:0} ms");

        // Every later call fails the same way, on this proxy and on the others, and so does creating an object (M-08).
        clock.Restart();
        var again = ManagerTestSupport.Capture(() => dict["a"] = 2);
        var other = ManagerTestSupport.Capture(() => list.Append(2));
        var created = ManagerTestSupport.Capture(() => manager.Dict<string, int>());
        output.WriteLine($"three later calls failed after {clock.Elapsed.TotalMilliseconds:0} ms in total");

        Assert.IsType<ManagerUnavailableException>(again);
        Assert.IsType<ManagerUnavailableException>(other);
        Assert.IsType<ManagerUnavailableException>(created);
    }

    [Fact]
    public void ProxyCall_throws_ManagerUnavailableException_when_the_proxy_was_never_called_before_the_manager_was_killed()
    {
        // M-08 target: a proxy whose object was created but never called still fails, never hangs
        using var manager = Manager.Start();
        var value = manager.Value(5);

        var clock = Stopwatch.StartNew();
        ManagerTestSupport.KillManagerProcess(manager);
        var error = ManagerTestSupport.Capture(() => value.Value);
        var elapsed = clock.Elapsed;
        output.WriteLine($"never-called proxy failed after {elapsed.TotalMilliseconds:0} ms with {error?.GetType().Name}");

        Assert.IsType<ManagerUnavailableException>(error);
        Assert.True(elapsed < ManagerTestSupport.DeathNoticedWithin, $"the death was noticed after {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task LockAcquire_fails_with_ManagerUnavailableException_when_the_manager_dies_while_it_is_blocked()
    {
        // M-08 target: a call pending at the moment of death fails too, never hangs
        using var manager = Manager.Start();
        var lk = manager.Lock();
        Assert.True(lk.Acquire(timeout: ManagerTestSupport.TestTimeout));
        var blocked = Task.Run(() => lk.Acquire());
        await Task.Delay(300);
        Assert.False(blocked.IsCompleted, "the second acquire of a held lock should block");

        var clock = Stopwatch.StartNew();
        ManagerTestSupport.KillManagerProcess(manager);
        var error = await Record(blocked);
        var elapsed = clock.Elapsed;
        output.WriteLine($"pending Lock.Acquire failed after {elapsed.TotalMilliseconds:0} ms with {error?.GetType().Name}");

        Assert.IsType<ManagerUnavailableException>(error);
        Assert.True(elapsed < ManagerTestSupport.DeathNoticedWithin, $"the death was noticed after {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task GetAsync_fails_with_ManagerUnavailableException_when_the_manager_dies_while_calls_are_in_flight()
    {
        // M-08 target with the awaitable calls: a burst of in-flight calls all end, each with a value or the error
        using var manager = Manager.Start();
        var dict = manager.Dict<string, int>();
        dict["a"] = 1;
        var lk = manager.Lock();
        lk.Acquire(timeout: ManagerTestSupport.TestTimeout);
        var blocked = lk.AcquireAsync();

        ManagerTestSupport.KillManagerProcess(manager);
        var calls = Enumerable.Range(0, 20).Select(_ => dict.GetAsync("a")).ToArray();
        var errors = await Task.WhenAll(calls.Select(Record));
        var blockedError = await Record(blocked);

        Assert.All(errors, e => Assert.IsType<ManagerUnavailableException>(e));
        Assert.IsType<ManagerUnavailableException>(blockedError);
    }

    [Fact]
    public void PoolTask_fails_with_ManagerUnavailableException_when_the_manager_dies_while_the_task_waits_on_a_manager_lock()
    {
        // M-08 target across processes: a worker blocked on a manager object gets the error, and the task's caller
        // receives it with its type (M-23-like propagation through the pool), instead of a hang.
        using var manager = Manager.Start();
        using var pool = new Pool(1);
        var lk = manager.Lock();
        var started = manager.Value(false);
        Assert.True(lk.Acquire(timeout: ManagerTestSupport.TestTimeout));
        var result = pool.ApplyAsync(ManagerTargets.SignalThenAcquire, started, lk);
        Assert.True(ManagerTestSupport.WaitUntil(() => started.Value), "the task did not start within 30 s");
        Thread.Sleep(300);

        var clock = Stopwatch.StartNew();
        ManagerTestSupport.KillManagerProcess(manager);
        var error = ManagerTestSupport.Capture(() => result.Get(ManagerTestSupport.TestTimeout));
        output.WriteLine($"pool task blocked on a manager lock failed {clock.Elapsed.TotalMilliseconds:0} ms after SIGKILL with {error?.GetType().Name}");

        Assert.IsType<ManagerUnavailableException>(error);
    }

    [Fact]
    public void Dispose_does_not_throw_when_the_manager_process_was_already_killed()
    {
        // M-05: shutdown of a dead manager is a no-op
        var manager = Manager.Start();
        ManagerTestSupport.KillManagerProcess(manager);

        manager.Dispose();
        manager.Shutdown();

        Assert.Throws<ObjectDisposedException>(() => manager.List<int>());
    }

    /// <summary>The exception <paramref name="task"/> ends with (null on success), waiting at most the test bound.</summary>
    private static async Task<Exception?> Record(Task task)
    {
        try
        {
            await task.WaitAsync(ManagerTestSupport.TestTimeout);
            return null;
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new Xunit.Sdk.XunitException("The call did not end within 30 s of the manager's death (a hang).");
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
