using System.Diagnostics;

namespace Multiprocessing.Internal.Pooling;

/// <summary>
/// Counts the items of one map or imap call as its chunks finish and reports a <see cref="PoolProgress"/> on the
/// pool's result thread, at most once per chunk. Reports are queued under the lock, so they arrive in order.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly object _gate = new();
    private readonly IProgress<PoolProgress> _progress;
    private readonly ResultThread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<int, int> _sizes = [];
    private int _completed;
    private int _failed;
    private int? _total;

    private ProgressTracker(IProgress<PoolProgress> progress, ResultThread thread, int? total)
    {
        _progress = progress;
        _thread = thread;
        _total = total;
    }

    /// <summary>A tracker for a call, or <see langword="null"/> when nobody listens.</summary>
    public static ProgressTracker? Create(IProgress<PoolProgress>? progress, ResultThread thread, int? total) =>
        progress is null ? null : new ProgressTracker(progress, thread, total);

    /// <summary>Records how many items chunk <paramref name="index"/> holds, before it can finish (imap).</summary>
    public void Sized(int index, int items)
    {
        lock (_gate)
        {
            _sizes[index] = items;
        }
    }

    /// <summary>The lazy input has ended with <paramref name="items"/> items.</summary>
    public void TotalKnown(int items)
    {
        lock (_gate)
        {
            _total = items;
            Report();
        }
    }

    public void Succeeded(int index, int items)
    {
        lock (_gate)
        {
            _sizes.Remove(index);
            _completed += items;
            Report();
        }
    }

    /// <summary>A chunk failed; <paramref name="items"/> is its size if known, else the size recorded by <see cref="Sized"/>.</summary>
    public void Failed(int index, int? items = null)
    {
        lock (_gate)
        {
            var count = items ?? (_sizes.Remove(index, out var size) ? size : 0);
            _completed += count;
            _failed += count;
            Report();
        }
    }

    private void Report()
    {
        var report = new PoolProgress(_completed, _total, _failed, _clock.Elapsed);
        var progress = _progress;
        _thread.Post(() =>
        {
            try
            {
                progress.Report(report);
            }
            catch (Exception ex)
            {
                // A raising handler must not stop the result thread (which also runs callbacks and completions).
                Trace.TraceWarning($"An IProgress<PoolProgress> handler raised and was ignored: {ex}");
            }
        });
    }
}
