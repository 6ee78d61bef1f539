using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.SyncTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="Event"/> in this process and across real OS processes (<see cref="Process"/> children and a pool
/// worker). Spec ids refer to /work/shared/spec/python-semantics.md (§1.15 E-, §2.3 item 5).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class EventTests
{
    // ----- this process (E-01..E-03) -----

    [Fact]
    public void IsSet_is_false_and_Wait_times_out_with_false_for_a_new_event_E01()
    {
        var ev = new Event();

        Assert.False(ev.IsSet());
        Assert.False(ev.Wait(TimeSpan.Zero));
        Assert.False(ev.Wait(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void Wait_returns_true_at_once_in_every_form_after_Set_E02()
    {
        var ev = new Event();

        ev.Set();

        Assert.True(ev.IsSet());
        Assert.True(Bounded(() => ev.Wait()));
        Assert.True(ev.Wait(TimeSpan.Zero));
        Assert.True(ev.Wait(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Clear_resets_the_event_so_Wait_times_out_again_E03()
    {
        var ev = new Event();
        ev.Set();

        ev.Clear();

        Assert.False(ev.IsSet());
        Assert.False(ev.Wait(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Set_releases_a_pending_WaitAsync_with_true_E02()
    {
        var ev = new Event();
        var waiting = ev.WaitAsync();
        Assert.False(waiting.IsCompleted);

        await ev.SetAsync();

        Assert.True(await waiting.WaitAsync(Within));
    }

    [Fact]
    public async Task WaitAsync_with_TimeSpan_MaxValue_waits_until_Set()
    {
        // TimeSpan.MaxValue is a common way to say "no limit"; it must not behave like a zero timeout.
        var ev = new Event();
        var waiting = ev.WaitAsync(TimeSpan.MaxValue);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "WaitAsync(TimeSpan.MaxValue) returned before Set.");

        await ev.SetAsync();

        Assert.True(await waiting.WaitAsync(Within));
    }

    [Fact]
    public async Task WaitAsync_throws_OperationCanceledException_when_its_token_is_cancelled_and_a_later_Set_still_works()
    {
        var ev = new Event();
        using var cancel = new CancellationTokenSource();
        var waiting = ev.WaitAsync(cancellationToken: cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Within));
        await ev.SetAsync();
        Assert.True(await ev.WaitAsync(TimeSpan.Zero));
    }

    // ----- other processes (E-04) -----

    [Fact]
    public void Wait_in_a_child_process_is_released_by_Set_in_the_parent_E04()
    {
        var ev = new Event();
        var ready = new Event();
        var child = StartChild(Children.WaitForEvent, ev, ready);
        try
        {
            Assert.True(ready.Wait(Within), "The child did not start waiting.");

            ev.Set();

            AssertExitsCleanly(child);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public void Wait_in_the_parent_is_released_by_Set_in_a_child_E04()
    {
        // test_event: after clear(), a child that sets the event releases the parent's wait() with true.
        var ev = new Event();
        ev.Set();
        ev.Clear();
        var child = StartChild(Children.SetEvent, ev);
        try
        {
            Assert.True(ev.Wait(Within));

            AssertExitsCleanly(child);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public void Wait_in_a_child_returns_false_after_its_timeout_when_nobody_sets_the_event_E01()
    {
        var ev = new Event();
        var child = StartChild(Children.ExpectTimeout, ev, 300);
        try
        {
            AssertExitsCleanly(child);
            Assert.False(ev.IsSet());
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public void Set_in_a_pool_task_is_seen_by_the_parent_E04()
    {
        var ev = new Event();
        using var pool = new Pool(1);

        var seen = pool.ApplyAsync(Children.SetFromPoolTask, ev).Get(Within);

        Assert.True(seen);
        Assert.True(ev.Wait(TimeSpan.Zero));
    }

    /// <summary>Child targets: public static methods that run in other processes.</summary>
    public static class Children
    {
        public static void WaitForEvent(Event ev, Event ready)
        {
            ready.Set();
            Check(ev.Wait(Within), "The event was not set within the bound.");
        }

        public static void SetEvent(Event ev) => ev.Set();

        public static void ExpectTimeout(Event ev, int milliseconds) =>
            Check(!ev.Wait(TimeSpan.FromMilliseconds(milliseconds)), "Wait returned true although nobody set the event (E-01).");

        public static bool SetFromPoolTask(Event ev)
        {
            ev.Set();
            return ev.IsSet();
        }
    }
}
