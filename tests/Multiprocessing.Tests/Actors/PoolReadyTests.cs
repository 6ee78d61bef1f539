using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary><see cref="Pool.WaitReady"/>: every worker started and initialized, or a bounded false / the pool's error.</summary>
[Collection(ProcessCollection.Name)]
public sealed class PoolReadyTests
{
    [Fact]
    public void WaitReady_returns_true_once_every_worker_takes_work()
    {
        using var pool = new Pool(2);
        Assert.True(pool.WaitReady(TimeSpan.FromSeconds(60)));

        // Both workers are up, so chunks dispatched one at a time to the least-loaded worker reach both.
        var results = pool.Map(TaskFunctions.SquareWithPid, [1, 2, 3, 4], chunksize: 1);
        Assert.Equal([1, 4, 9, 16], results.Select(r => r.X));
        Assert.Equal(2, results.Select(r => r.Pid).Distinct().Count());
    }

    [Fact]
    public void WaitReady_times_out_with_false_before_workers_can_start()
    {
        using var pool = new Pool(2);
        Assert.False(pool.WaitReady(TimeSpan.Zero));
    }

    [Fact]
    public void WaitReady_raises_the_broken_pool_error_of_a_failing_initializer()
    {
        using var pool = new Pool(1, initializer: TaskFunctions.FailingInit);
        Assert.Throws<BrokenPoolException>(() => pool.WaitReady(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void WaitReady_rejects_a_negative_timeout()
    {
        using var pool = new Pool(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.WaitReady(TimeSpan.FromSeconds(-1)));
    }
}
