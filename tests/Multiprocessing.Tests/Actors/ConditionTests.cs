using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.SyncTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="Condition"/> in this process and across real OS processes. Spec ids refer to
/// /work/shared/spec/python-semantics.md (§1.14 C-, §2.3 items 3 and 4).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ConditionTests
{
    // ----- this process (C-01..C-05) -----

    [Fact]
    public void Wait_throws_InvalidOperationException_when_the_lock_is_not_owned_C02()
    {
        var condition = new Condition();

        Assert.Throws<InvalidOperationException>(() => condition.Wait(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Notify_and_NotifyAll_throw_InvalidOperationException_when_the_lock_is_not_owned_C02()
    {
        var condition = new Condition();

        Assert.Throws<InvalidOperationException>(() => condition.Notify());
        Assert.Throws<InvalidOperationException>(() => condition.NotifyAll());
    }

    [Fact]
    public void Wait_with_zero_timeout_returns_false_and_keeps_the_lock_owned_C03()
    {
        var condition = new Condition();
        using (condition.Hold())
        {
            Assert.False(condition.Wait(TimeSpan.Zero));
            Assert.False(condition.Wait(TimeSpan.FromMilliseconds(100)));

            // Still owned: notify needs the lock.
            condition.Notify();
        }
    }

    [Fact]
    public void Wait_restores_the_recursion_depth_of_the_lock_before_returning_C04()
    {
        var condition = new Condition();
        Assert.True(condition.Acquire());
        Assert.True(condition.Acquire());
        Assert.True(condition.Acquire());

        Assert.False(condition.Wait(TimeSpan.FromMilliseconds(100)));

        condition.Release();
        condition.Release();
        condition.Release();
        Assert.Throws<SynchronizationLockException>(condition.Release);
    }

    [Fact]
    public void Acquire_is_reentrant_and_refused_to_another_thread_while_held_C01()
    {
        var condition = new Condition();
        using (condition.Hold())
        {
            Assert.True(condition.Acquire(false));
            condition.Release();
            Assert.False(OnNewThread(() => condition.Acquire(timeout: TimeSpan.FromMilliseconds(100))));
        }

        Assert.True(OnNewThread(() =>
        {
            var acquired = condition.Acquire(false);
            condition.Release();
            return acquired;
        }));
    }

    [Fact]
    public void WaitFor_returns_a_true_predicate_without_waiting_C05()
    {
        var condition = new Condition();
        var calls = 0;

        using (condition.Hold())
        {
            Assert.True(condition.WaitFor(() => ++calls > 0, TimeSpan.Zero));
        }

        Assert.Equal(1, calls);
    }

    [Fact]
    public void WaitFor_returns_false_after_the_timeout_when_the_predicate_stays_false_C05()
    {
        var condition = new Condition();
        var calls = 0;

        using (condition.Hold())
        {
            Assert.False(condition.WaitFor(() => ++calls < 0, TimeSpan.FromMilliseconds(200)));
        }

        Assert.True(calls >= 2, $"The predicate ran {calls} time(s): before waiting and after the wait.");
    }

    [Fact]
    public void WaitForAsync_cancelled_throws_OperationCanceledException_with_the_lock_owned_again()
    {
        var condition = new Condition();

        var error = OnNewThread(() =>
        {
            // One thread owns the lock throughout: it acquires, waits (cancelled) and releases.
            using (condition.Hold())
            {
                using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
                return Record.Exception(() => condition.WaitForAsync(() => false, null, cancel.Token).GetAwaiter().GetResult());
            }
        });

        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.True(OnNewThread(() =>
        {
            var acquired = condition.Acquire(false);
            condition.Release();
            return acquired;
        }));
    }

    [Fact]
    public void HoldAsync_holder_releases_for_the_acquiring_thread_when_disposed_on_another_thread_C01()
    {
        // `await using (await c.HoldAsync())` disposes the holder wherever the continuation runs.
        var condition = new Condition();
        var holder = OnNewThread(() => condition.HoldAsync().GetAwaiter().GetResult());
        Assert.False(OnNewThread(() => condition.Acquire(false)));

        OnNewThread(() =>
        {
            holder.Dispose();
            return true;
        });

        Assert.True(OnNewThread(() =>
        {
            var acquired = condition.Acquire(false);
            condition.Release();
            return acquired;
        }));
    }

    // ----- other processes (C-03, C-05, C-06) -----

    [Fact]
    public void Notify_in_the_parent_wakes_a_child_waiting_on_the_condition_C06()
    {
        var condition = new Condition();
        var ready = new Event();
        var child = StartChild(Children.WaitForNotify, condition, ready);
        try
        {
            Assert.True(ready.Wait(Within), "The child did not start waiting.");

            // The child set `ready` while holding the lock, so this acquire is granted only once it waits.
            Assert.True(condition.Acquire(timeout: Within));
            condition.Notify();
            condition.Release();

            AssertExitsCleanly(child);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public void Wait_in_a_child_returns_false_after_its_timeout_when_nobody_notifies_C03()
    {
        var condition = new Condition();
        var child = StartChild(Children.ExpectTimeout, condition, 300);
        try
        {
            AssertExitsCleanly(child);
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    [Fact]
    public void Notify_wakes_one_of_two_waiting_children_and_NotifyAll_the_other_C06()
    {
        var condition = new Condition();
        var ready = new[] { new Event(), new Event() };
        var woke = new[] { new Event(), new Event() };
        var children = new[]
        {
            StartChild(Children.WaitThenSignal, condition, ready[0], woke[0]),
            StartChild(Children.WaitThenSignal, condition, ready[1], woke[1]),
        };
        try
        {
            Assert.All(ready, r => Assert.True(r.Wait(Within), "A child did not start waiting."));

            using (condition.Hold())
            {
                condition.Notify(1);
            }

            WaitUntil(() => woke.Count(w => w.IsSet()) == 1, "one child woke");
            Assert.Equal(1, woke.Count(w => w.Wait(TimeSpan.FromMilliseconds(300))));

            using (condition.Hold())
            {
                condition.NotifyAll();
            }

            Assert.All(woke, w => Assert.True(w.Wait(Within)));
            Assert.All(children, AssertExitsCleanly);
        }
        finally
        {
            Array.ForEach(children, KillIfAlive);
        }
    }

    [Fact]
    public void WaitFor_in_the_parent_returns_true_once_a_child_makes_the_predicate_true_and_notifies_C05()
    {
        var condition = new Condition();
        var flag = new Event();
        Process? child = null;
        try
        {
            using (condition.Hold())
            {
                child = StartChild(Children.SetThenNotifyAll, condition, flag);

                Assert.True(condition.WaitFor(flag.IsSet, Within));
            }

            AssertExitsCleanly(child);
        }
        finally
        {
            if (child is not null)
            {
                KillIfAlive(child);
            }
        }
    }

    [Fact]
    public void Lock_held_by_a_child_that_is_killed_is_released_and_the_next_owner_sees_it_abandoned()
    {
        var condition = new Condition();
        var ready = new Event();
        var child = StartChild(Children.HoldForever, condition, ready);
        try
        {
            Assert.True(ready.Wait(Within), "The child did not take the lock.");
            Assert.False(condition.Acquire(false));

            child.Kill();

            Assert.True(condition.Acquire(timeout: Within));
            Assert.True(condition.Abandoned);
            condition.Release();
        }
        finally
        {
            KillIfAlive(child);
        }
    }

    /// <summary>Child targets: public static methods that run in other processes.</summary>
    public static class Children
    {
        public static void WaitForNotify(Condition condition, Event ready)
        {
            using (condition.Hold())
            {
                ready.Set();
                Check(condition.Wait(Within), "The child was not notified within the bound.");
            }
        }

        public static void ExpectTimeout(Condition condition, int milliseconds)
        {
            using (condition.Hold())
            {
                Check(!condition.Wait(TimeSpan.FromMilliseconds(milliseconds)), "Wait returned true although nobody notified (C-03).");
            }
        }

        public static void WaitThenSignal(Condition condition, Event ready, Event woke)
        {
            using (condition.Hold())
            {
                ready.Set();
                Check(condition.Wait(Within), "The child was not notified within the bound.");
                woke.Set();
            }
        }

        public static void SetThenNotifyAll(Condition condition, Event flag)
        {
            using (condition.Hold())
            {
                flag.Set();
                condition.NotifyAll();
            }
        }

        public static void HoldForever(Condition condition, Event ready)
        {
            condition.Acquire();
            ready.Set();
            Thread.Sleep(Within);
        }
    }
}
