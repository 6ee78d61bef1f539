using MessagePack;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Pooling;

/// <summary>
/// A submitted call (apply, map, imap...) as the pool actor sees it. The actor calls these members from its own
/// thread; implementations are thread-safe because the façade and the input feeder also touch them.
/// </summary>
internal interface IJob
{
    long Id { get; }

    FunctionSpec Function { get; }

    /// <summary>Gets the W3C trace context of the submission, sent with every chunk so worker spans join its trace.</summary>
    string? TraceParent { get; }

    /// <summary>Whether every chunk has an outcome and no more chunks will come.</summary>
    bool IsComplete { get; }

    void ChunkSucceeded(int index, byte[] results);

    void ChunkFailed(int index, Exception error);

    /// <summary>No more chunks will be submitted; <paramref name="totalChunks"/> counts them all. An input error takes the last slot.</summary>
    void InputEnded(int totalChunks, Exception? inputError);

    /// <summary>Fails every chunk without an outcome (terminate, broken pool).</summary>
    void Abort(Exception error);
}

/// <summary>Helpers shared by the jobs.</summary>
internal static class JobIds
{
    private static long _last;

    public static long Next() => Interlocked.Increment(ref _last);
}

/// <summary>Decodes a chunk's results array.</summary>
internal static class ChunkDecoder
{
    public static TResult[] Decode<TResult>(byte[] results, string function)
    {
        if (NumberArrays.Handles<TResult>() && NumberArrays.TryRead<TResult>(results, out var numbers))
        {
            return numbers;
        }

        try
        {
            var reader = new MessagePackReader(results);
            var values = new TResult[reader.ReadArrayHeader()];
            ReadValues(ref reader, values);
            return values;
        }
        catch (Exception ex)
        {
            throw Unreadable<TResult>(function, ex);
        }
    }

    /// <summary>
    /// Decodes a chunk's results straight into <paramref name="destination"/>, which must be exactly as long as the
    /// chunk; on failure part of it may have been written.
    /// </summary>
    public static void DecodeInto<TResult>(byte[] results, Span<TResult> destination, string function)
    {
        if (NumberArrays.Handles<TResult>() && NumberArrays.TryRead(results, destination))
        {
            return;
        }

        try
        {
            var reader = new MessagePackReader(results);
            var count = reader.ReadArrayHeader();
            if (count != destination.Length)
            {
                throw new InvalidDataException($"the chunk had {destination.Length} items but {count} results came back");
            }

            ReadValues(ref reader, destination);
        }
        catch (Exception ex)
        {
            throw Unreadable<TResult>(function, ex);
        }
    }

    private static void ReadValues<TResult>(ref MessagePackReader reader, Span<TResult> destination)
    {
        var formatter = ValueCodec.Formatter<TResult>();
        var options = ValueCodec.Options;
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = formatter.Deserialize(ref reader, options);
        }
    }

    private static TaskSerializationException Unreadable<TResult>(string function, Exception ex) =>
        new($"A result of {function} could not be read back as {ValueCodec.Describe(typeof(TResult))}: {ex.Message}", ex);
}

/// <summary><c>apply</c> / <c>apply_async</c>: one chunk of one entry.</summary>
internal sealed class ApplyJob<TResult>(FunctionSpec function, AsyncResult<TResult> result) : IJob
{
    private int _done;

    public long Id { get; } = JobIds.Next();

    public FunctionSpec Function => function;

    public string? TraceParent { get; init; }

    public bool IsComplete => Volatile.Read(ref _done) != 0;

    public AsyncResult<TResult> Result => result;

    public void ChunkSucceeded(int index, byte[] results)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return;
        }

        TResult[] values;
        try
        {
            values = ChunkDecoder.Decode<TResult>(results, function.DisplayName);
        }
        catch (Exception ex)
        {
            result.SetException(ex);
            return;
        }

        result.SetResult(values[0]);
    }

    public void ChunkFailed(int index, Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            result.SetException(error);
        }
    }

    public void InputEnded(int totalChunks, Exception? inputError)
    {
        if (inputError is not null)
        {
            ChunkFailed(0, inputError);
        }
    }

    public void Abort(Exception error) => ChunkFailed(0, error);
}

/// <summary>
/// <c>map</c> / <c>starmap</c> (and their async forms): results in input order; on failure, the first failure to
/// arrive is raised once every chunk has finished (P-34, P-35).
/// </summary>
internal sealed class MapJob<TResult> : IJob
{
    private readonly object _gate = new();
    private readonly FunctionSpec _function;
    private readonly AsyncResult<IReadOnlyList<TResult>> _result;
    private readonly int[] _offsets;
    private readonly TResult[] _values;
    private readonly bool[] _done;
    private readonly ProgressTracker? _progress;
    private int _remaining;
    private Exception? _firstError;

    public MapJob(
        FunctionSpec function, AsyncResult<IReadOnlyList<TResult>> result, int[] offsets, int totalItems, ProgressTracker? progress = null)
    {
        _function = function;
        _progress = progress;
        _result = result;
        _offsets = offsets;
        _values = new TResult[totalItems];
        _done = new bool[offsets.Length];
        _remaining = offsets.Length;
        if (_remaining == 0)
        {
            _result.SetResult(_values);
        }
    }

    public long Id { get; } = JobIds.Next();

    public FunctionSpec Function => _function;

    public string? TraceParent { get; init; }

    public bool IsComplete
    {
        get
        {
            lock (_gate)
            {
                return _remaining == 0;
            }
        }
    }

    public void ChunkSucceeded(int index, byte[] results)
    {
        lock (_gate)
        {
            if (_done[index])
            {
                return;
            }

            // Straight into the result list: a chunk that was already done (a re-run's twin) never gets here, and a
            // chunk that cannot be read fails the whole map, so the list is never seen half written.
            var size = ChunkSize(index);
            try
            {
                ChunkDecoder.DecodeInto(results, _values.AsSpan(_offsets[index], size), _function.DisplayName);
            }
            catch (TaskSerializationException ex)
            {
                Fail(index, ex);
                return;
            }

            _progress?.Succeeded(index, size);
            Finish(index);
        }
    }

    public void ChunkFailed(int index, Exception error)
    {
        lock (_gate)
        {
            if (_done[index])
            {
                return;
            }

            Fail(index, error);
        }
    }

    public void InputEnded(int totalChunks, Exception? inputError)
    {
        // Map reads its input before submitting, so its chunks are all known at the start.
    }

    public void Abort(Exception error)
    {
        lock (_gate)
        {
            for (var i = 0; i < _done.Length; i++)
            {
                if (!_done[i])
                {
                    Fail(i, error);
                }
            }
        }
    }

    private int ChunkSize(int index) =>
        (index + 1 < _offsets.Length ? _offsets[index + 1] : _values.Length) - _offsets[index];

    private void Fail(int index, Exception error)
    {
        _firstError ??= error;
        _progress?.Failed(index, ChunkSize(index));
        Finish(index);
    }

    private void Finish(int index)
    {
        _done[index] = true;
        if (--_remaining > 0)
        {
            return;
        }

        if (_firstError is not null)
        {
            _result.SetException(_firstError);
        }
        else
        {
            _result.SetResult(_values);
        }
    }
}

/// <summary><c>imap</c> / <c>imap_unordered</c>: chunks arrive as the lazy input is read; results go to a <see cref="ResultIterator{T}"/>.</summary>
internal sealed class ImapJob<TResult>(FunctionSpec function, ResultIterator<TResult> iterator, ProgressTracker? progress = null) : IJob
{
    private readonly object _gate = new();
    private readonly HashSet<int> _finished = [];
    private int _total = -1;

    public long Id { get; } = JobIds.Next();

    public FunctionSpec Function => function;

    public ResultIterator<TResult> Iterator => iterator;

    public string? TraceParent { get; init; }

    /// <summary>Gets the call's progress reporter, told chunk sizes and the input's end by the feeder.</summary>
    public ProgressTracker? Progress => progress;

    public bool IsComplete
    {
        get
        {
            lock (_gate)
            {
                return _total >= 0 && _finished.Count >= _total;
            }
        }
    }

    public void ChunkSucceeded(int index, byte[] results)
    {
        TResult[] values;
        try
        {
            values = ChunkDecoder.Decode<TResult>(results, function.DisplayName);
        }
        catch (Exception ex)
        {
            ChunkFailed(index, ex);
            return;
        }

        lock (_gate)
        {
            if (!_finished.Add(index))
            {
                return;
            }
        }

        progress?.Succeeded(index, values.Length);
        iterator.Deliver(index, values);
    }

    public void ChunkFailed(int index, Exception error)
    {
        lock (_gate)
        {
            if (!_finished.Add(index))
            {
                return;
            }
        }

        progress?.Failed(index);
        iterator.DeliverError(index, error);
    }

    public void InputEnded(int totalChunks, Exception? inputError)
    {
        lock (_gate)
        {
            _total = totalChunks;
        }

        iterator.SetTotalChunks(totalChunks);
        if (inputError is not null)
        {
            ChunkFailed(totalChunks - 1, inputError);
        }
    }

    public void Abort(Exception error) => iterator.Abort(error);
}
