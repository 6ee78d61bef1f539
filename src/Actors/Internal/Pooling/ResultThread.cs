using System.Collections.Concurrent;

namespace Multiprocessing.Internal.Pooling;

/// <summary>
/// The pool's one result thread: user callbacks run here, one at a time, in completion order (Python's
/// result-handler thread, P-23). A raising callback fails its own result only; the thread lives on.
/// </summary>
internal sealed class ResultThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public ResultThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Post(Action action)
    {
        try
        {
            _work.Add(action);
        }
        catch (InvalidOperationException)
        {
            // The pool is gone; run inline so no result is left pending.
            action();
        }
    }

    public void Dispose() => _work.CompleteAdding();

    private void Loop()
    {
        foreach (var action in _work.GetConsumingEnumerable())
        {
            action();
        }
    }
}
