using System.Collections;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing;

/// <summary>
/// The results of <c>Imap</c> (input order) or <c>ImapUnordered</c> (completion order), Python's <c>IMapIterator</c>.
/// Use it with <c>foreach</c>, <c>await foreach</c> or <see cref="Next(TimeSpan?)"/>. A failed task raises its
/// exception at its position and iteration can go on with the next call (P-45). The input is read lazily: only a
/// bounded number of chunks are submitted but not yet consumed (P-47 target).
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
public sealed class ResultIterator<T> : IEnumerable<T>, IAsyncEnumerable<T>
{
    private readonly object _gate = new();
    private readonly bool _ordered;
    private readonly System.Collections.Generic.Queue<Entry> _ready = new();
    private readonly Dictionary<int, Entry[]> _parked = [];
    private readonly Action _chunkConsumed;
    private TaskCompletionSource _signal = NewSignal();
    private int _nextChunk;
    private int _chunksQueued;
    private int _total = -1;
    private Exception? _abort;
    private bool _abortReported;

    internal ResultIterator(bool ordered, Action chunkConsumed)
    {
        _ordered = ordered;
        _chunkConsumed = chunkConsumed;
    }

    /// <summary>
    /// Returns the next result, or raises the next task's exception (the iterator stays usable).
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until a result is ready.</param>
    /// <returns>The next result.</returns>
    /// <exception cref="MultiprocessingTimeoutException">No result within <paramref name="timeout"/> (P-42); a later call can succeed.</exception>
    /// <exception cref="StopIterationException">Every result was consumed.</exception>
    /// <exception cref="OperationCanceledException">Ctrl+C was pressed while waiting (<c>multiprocessing.runtime.handle-ctrl-c</c>).</exception>
    public T Next(TimeSpan? timeout = null)
    {
        AsyncResult.ValidateTimeout(timeout);
        var deadline = timeout is { } t ? DateTime.UtcNow + t : (DateTime?)null;
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (TryTake(out var value, out var ended))
                {
                    return value;
                }

                if (ended)
                {
                    throw new StopIterationException();
                }

                wait = _signal.Task;
            }

            if (deadline is { } d)
            {
                var left = d - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !WaitOrInterrupt(wait, left))
                {
                    throw new MultiprocessingTimeoutException($"No result was ready within {timeout!.Value.TotalSeconds:0.###} s.");
                }
            }
            else
            {
                WaitOrInterrupt(wait, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private static bool WaitOrInterrupt(Task wait, TimeSpan timeout)
    {
        var interrupt = Interrupts.Token;
        try
        {
            return wait.Wait(timeout, interrupt);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            throw Interrupts.Interrupted(interrupt);
        }
    }

    /// <summary>The awaitable twin of <see cref="Next(TimeSpan?)"/>.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until a result is ready.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The next result.</returns>
    /// <exception cref="MultiprocessingTimeoutException">No result within <paramref name="timeout"/>.</exception>
    /// <exception cref="StopIterationException">Every result was consumed.</exception>
    public async Task<T> NextAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        AsyncResult.ValidateTimeout(timeout);
        var deadline = timeout is { } t ? DateTime.UtcNow + t : (DateTime?)null;
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (TryTake(out var value, out var ended))
                {
                    return value;
                }

                if (ended)
                {
                    throw new StopIterationException();
                }

                wait = _signal.Task;
            }

            var left = deadline is { } d ? d - DateTime.UtcNow : Timeout.InfiniteTimeSpan;
            if (deadline is not null && left <= TimeSpan.Zero)
            {
                throw new MultiprocessingTimeoutException($"No result was ready within {timeout!.Value.TotalSeconds:0.###} s.");
            }

            try
            {
                await wait.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new MultiprocessingTimeoutException($"No result was ready within {timeout!.Value.TotalSeconds:0.###} s.");
            }
        }
    }

    /// <summary>Iterates the remaining results; a task failure ends a <c>foreach</c> with that exception.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<T> GetEnumerator()
    {
        while (true)
        {
            T value;
            try
            {
                value = Next();
            }
            catch (StopIterationException)
            {
                yield break;
            }

            yield return value;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Iterates the remaining results without blocking a thread.</summary>
    /// <param name="cancellationToken">Stops the iteration.</param>
    /// <returns>The async enumerator.</returns>
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            T value;
            try
            {
                value = await NextAsync(null, cancellationToken).ConfigureAwait(false);
            }
            catch (StopIterationException)
            {
                yield break;
            }

            yield return value;
        }
    }

    internal void Deliver(int chunk, IReadOnlyList<T> values)
    {
        var entries = new Entry[values.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new Entry(values[i], null);
        }

        Add(chunk, entries);
    }

    internal void DeliverError(int chunk, Exception error) => Add(chunk, [new Entry(default!, error)]);

    internal void SetTotalChunks(int total)
    {
        lock (_gate)
        {
            _total = total;
            Signal();
        }
    }

    internal void Abort(Exception error)
    {
        lock (_gate)
        {
            _abort ??= error;
            Signal();
        }
    }

    private void Add(int chunk, Entry[] entries)
    {
        lock (_gate)
        {
            if (!_ordered)
            {
                Enqueue(entries);
            }
            else
            {
                _parked[chunk] = entries;
                while (_parked.Remove(_nextChunk, out var next))
                {
                    Enqueue(next);
                    _nextChunk++;
                }
            }

            Signal();
        }
    }

    private void Enqueue(Entry[] entries)
    {
        foreach (var entry in entries)
        {
            _ready.Enqueue(entry);
        }

        _ready.Enqueue(Entry.ChunkEnd);
        _chunksQueued++;
    }

    private bool TryTake(out T value, out bool ended)
    {
        ended = false;
        while (_ready.TryDequeue(out var entry))
        {
            if (entry.IsChunkEnd)
            {
                _chunkConsumed();
                continue;
            }

            if (entry.Error is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(entry.Error);
            }

            value = entry.Value;
            return true;
        }

        value = default!;
        if (_abort is not null)
        {
            if (!_abortReported)
            {
                _abortReported = true;
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_abort);
            }

            ended = true;
        }
        else if (_total >= 0 && _chunksQueued >= _total)
        {
            ended = true;
        }

        return false;
    }

    private void Signal()
    {
        var previous = _signal;
        _signal = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly record struct Entry(T Value, Exception? Error, bool IsChunkEnd = false)
    {
        public static Entry ChunkEnd => new(default!, null, true);
    }
}
