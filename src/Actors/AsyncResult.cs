using System.Runtime.CompilerServices;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing;

/// <summary>
/// The pending outcome of <c>ApplyAsync</c>, <c>MapAsync</c> or <c>StarMapAsync</c> (Python's <c>AsyncResult</c>).
/// Awaitable; <see cref="Get(TimeSpan?)"/>, <see cref="Wait(TimeSpan?)"/>, <see cref="Ready"/> and
/// <see cref="Successful"/> behave as in Python.
/// </summary>
public class AsyncResult
{
    private protected AsyncResult(Task task) => Task = task;

    /// <summary>The task that completes with the outcome; use it to compose with other .NET code.</summary>
    public Task Task { get; }

    /// <summary>Whether the call completed, successfully or not (AR-04).</summary>
    public bool Ready => Task.IsCompleted;

    /// <summary>Whether the call completed without raising (AR-05).</summary>
    /// <returns><see langword="true"/> on success, <see langword="false"/> if it raised.</returns>
    /// <exception cref="InvalidOperationException">The result is not ready yet.</exception>
    public bool Successful()
    {
        if (!Task.IsCompleted)
        {
            throw new InvalidOperationException("The result is not ready: call Successful() after Ready is true or Wait() returned.");
        }

        return Task.IsCompletedSuccessfully;
    }

    /// <summary>Blocks until the result is ready or <paramref name="timeout"/> passes; never throws for a failed task (AR-03).</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until ready.</param>
    /// <exception cref="OperationCanceledException">Ctrl+C was pressed while waiting (<c>multiprocessing.runtime.handle-ctrl-c</c>).</exception>
    public void Wait(TimeSpan? timeout = null)
    {
        ValidateTimeout(timeout);
        var interrupt = Interrupts.Token;
        try
        {
            Task.Wait(timeout ?? Timeout.InfiniteTimeSpan, interrupt);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            if (!Task.IsCompleted)
            {
                throw Interrupts.Interrupted(interrupt);
            }
        }
        catch (AggregateException)
        {
            // Wait reports readiness only; Get() raises the failure.
        }
    }

    /// <summary>Waits like <see cref="Wait(TimeSpan?)"/>, without blocking a thread.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until ready.</param>
    /// <param name="cancellationToken">Stops waiting (the work goes on).</param>
    /// <returns>A task that completes when the result is ready or the timeout passed.</returns>
    public async Task WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ValidateTimeout(timeout);
        try
        {
            await Task.WaitAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Same contract as Wait(): no exception on timeout.
        }
        catch (Exception) when (Task.IsFaulted || Task.IsCanceled)
        {
            // The failure is reported by Get().
        }
    }

    /// <summary>Waits for the outcome; re-raises the task's exception with its original type (AR-01, AR-06).</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until ready.</param>
    /// <exception cref="MultiprocessingTimeoutException">Not ready within <paramref name="timeout"/> (AR-02); the task goes on.</exception>
    /// <exception cref="OperationCanceledException">Ctrl+C was pressed while waiting (<c>multiprocessing.runtime.handle-ctrl-c</c>).</exception>
    public void Get(TimeSpan? timeout = null) => WaitOrThrow(timeout);

    /// <summary>Lets <c>await result</c> work for a result without a value.</summary>
    /// <returns>The awaiter.</returns>
    public TaskAwaiter GetAwaiter() => Task.GetAwaiter();

    private protected void WaitOrThrow(TimeSpan? timeout)
    {
        ValidateTimeout(timeout);
        if (!Task.IsCompleted)
        {
            var interrupt = Interrupts.Token;
            try
            {
                if (!Task.Wait(timeout ?? Timeout.InfiniteTimeSpan, interrupt))
                {
                    throw new MultiprocessingTimeoutException($"The result was not ready within {timeout!.Value.TotalSeconds:0.###} s.");
                }
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
            {
                // Ctrl+C (pain point 18): one cancellation in the caller instead of a wait that never ends.
                if (!Task.IsCompleted)
                {
                    throw Interrupts.Interrupted(interrupt);
                }
            }
            catch (AggregateException)
            {
                // Raised below with its original type.
            }
        }

        Task.GetAwaiter().GetResult();
    }

    internal static void ValidateTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "A timeout must be zero or positive, or null to wait until ready.");
        }
    }
}

/// <summary>The pending outcome of a call that returns a value; see <see cref="AsyncResult"/>.</summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed class AsyncResult<T> : AsyncResult
{
    private readonly TaskCompletionSource<T> _completion;
    private readonly Action<T>? _callback;
    private readonly Action<Exception>? _errorCallback;
    private readonly ResultThread? _resultThread;

    internal AsyncResult(ResultThread? resultThread, Action<T>? callback, Action<Exception>? errorCallback)
        : this(new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), resultThread, callback, errorCallback)
    {
    }

    private AsyncResult(TaskCompletionSource<T> completion, ResultThread? resultThread, Action<T>? callback, Action<Exception>? errorCallback)
        : base(completion.Task)
    {
        _completion = completion;
        _resultThread = resultThread;
        _callback = callback;
        _errorCallback = errorCallback;
    }

    /// <summary>The task that completes with the value.</summary>
    public new Task<T> Task => _completion.Task;

    /// <summary>Waits for the value; re-raises the task's exception with its original type (AR-01, AR-06).</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until ready.</param>
    /// <returns>The task's value.</returns>
    /// <exception cref="MultiprocessingTimeoutException">Not ready within <paramref name="timeout"/> (AR-02); the task goes on.</exception>
    public new T Get(TimeSpan? timeout = null)
    {
        WaitOrThrow(timeout);
        return _completion.Task.Result;
    }

    /// <summary>Waits for the value without blocking a thread.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until ready.</param>
    /// <param name="cancellationToken">Stops waiting (the work goes on).</param>
    /// <returns>The task's value.</returns>
    /// <exception cref="MultiprocessingTimeoutException">Not ready within <paramref name="timeout"/>.</exception>
    public async Task<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ValidateTimeout(timeout);
        try
        {
            return await _completion.Task.WaitAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (ex is not MultiprocessingTimeoutException && !_completion.Task.IsCompleted)
        {
            throw new MultiprocessingTimeoutException($"The result was not ready within {timeout!.Value.TotalSeconds:0.###} s.");
        }
    }

    /// <summary>Lets <c>await result</c> return the value.</summary>
    /// <returns>The awaiter.</returns>
    public new TaskAwaiter<T> GetAwaiter() => _completion.Task.GetAwaiter();

    /// <summary>
    /// Completes the result. A callback runs first, on the pool's result thread, so its effects are visible once the
    /// result is ready (P-23, P-24); a raising callback becomes the result's failure (P-26 target).
    /// </summary>
    internal void SetResult(T value)
    {
        if (_callback is null || _resultThread is null)
        {
            _completion.TrySetResult(value);
            return;
        }

        _resultThread.Post(() =>
        {
            try
            {
                _callback(value);
                _completion.TrySetResult(value);
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
            }
        });
    }

    internal void SetException(Exception error)
    {
        if (_errorCallback is null || _resultThread is null)
        {
            _completion.TrySetException(error);
            return;
        }

        _resultThread.Post(() =>
        {
            try
            {
                _errorCallback(error);
                _completion.TrySetException(error);
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
            }
        });
    }
}
