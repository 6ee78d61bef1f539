using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Tests.Internal.Runtime;

/// <summary>
/// What a process hands back before it ends (lock leases, prefetched queue items) runs once, every step even when one
/// fails, and within its bound even when a step never finishes.
/// </summary>
[Collection(TestSupport.ProcessCollection.Name)]
public sealed class ProcessEndTests
{
    [Fact]
    public async Task Every_step_runs_once_even_when_another_step_fails_or_never_finishes()
    {
        var ran = 0;
        var never = new TaskCompletionSource();
        ProcessEnd.Register("counts", () =>
        {
            Interlocked.Increment(ref ran);
            return Task.CompletedTask;
        });
        ProcessEnd.Register("fails", () => throw new InvalidOperationException("a step that fails"));
        ProcessEnd.Register("hangs", () => never.Task);

        var first = ProcessEnd.RunAsync(TimeSpan.FromMilliseconds(300));
        var finished = await Task.WhenAny(first, Task.Delay(TimeSpan.FromSeconds(30)));
        await ProcessEnd.RunAsync(TimeSpan.FromMilliseconds(300));

        Assert.Same(first, finished);
        Assert.Equal(1, Volatile.Read(ref ran));
    }
}
