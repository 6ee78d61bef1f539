namespace Multiprocessing;

/// <summary>
/// Releases a lock when disposed: <c>using (lk.Hold()) { ... }</c> is Python's <c>with lock:</c> (L-07).
/// </summary>
public readonly struct LockHolder : IDisposable, IAsyncDisposable
{
    private readonly Func<Task>? _release;

    internal LockHolder(Func<Task> release) => _release = release;

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _release?.Invoke().GetAwaiter().GetResult();

    /// <summary>Releases the lock without blocking a thread.</summary>
    /// <returns>A task that completes once the lock is released.</returns>
    public ValueTask DisposeAsync() => _release is null ? ValueTask.CompletedTask : new ValueTask(_release());
}
