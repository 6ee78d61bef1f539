namespace Multiprocessing;

/// <summary>
/// Releases a lock when disposed: <c>using (lk.Hold()) { ... }</c> is Python's <c>with lock:</c> (L-07). Disposing
/// it again does nothing.
/// </summary>
public sealed class LockHolder : IDisposable, IAsyncDisposable
{
    private Func<Task>? _release;

    internal LockHolder(Func<Task> release) => _release = release;

    /// <summary>Releases the lock (once).</summary>
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke().GetAwaiter().GetResult();

    /// <summary>Releases the lock (once) without blocking a thread.</summary>
    /// <returns>A task that completes once the lock is released.</returns>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _release, null) is { } release ? new ValueTask(release()) : ValueTask.CompletedTask;
}
