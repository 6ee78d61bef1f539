using System.Collections.Concurrent;
using Akka.Actor;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Queues.QueueProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Queues;

/// <summary>
/// Puts of this process into one unbounded queue, sent without waiting (<see cref="QueueClient.PutLater"/>). A put
/// leaves at once when none of this queue's earlier puts is on its way; otherwise it is held and leaves with the
/// others held meanwhile, in one <see cref="PutMany"/>, when the earlier ones are acknowledged (or once
/// multiprocessing.queues.put-batch are held). Nothing waits to fill a batch, and every point that waits for this
/// process's writes (its next call on any shared object, the end of a task or a process) first sends what is held
/// (<see cref="FlushAll"/>), so programs observe the same order and consistency as with one message per put.
/// </summary>
internal sealed class PutBatcher
{
    private static readonly ConcurrentDictionary<IActorRef, PutBatcher> Batchers = new();
    private static int _holding;

    private readonly IActorRef _queue;
    private readonly List<byte[]> _held = [];
    private long _heldBytes;
    private int _inFlight;
    private string _what = string.Empty;

    private PutBatcher(IActorRef queue) => _queue = queue;

    /// <summary>Sends or holds a put; raises at once what an earlier write or the queue's death left to raise.</summary>
    public static void Put(IActorRef queue, byte[] item, string what, QueueSettings settings)
    {
        Caller.PrepareWrite(queue, what);
        Batchers.GetOrAdd(queue, static q => new PutBatcher(q)).Add(item, what, settings);
    }

    /// <summary>Sends every held put now (before this process waits for its writes).</summary>
    public static void FlushAll()
    {
        if (Volatile.Read(ref _holding) == 0)
        {
            return;
        }

        foreach (var batcher in Batchers.Values)
        {
            lock (batcher._held)
            {
                if (batcher._held.Count > 0)
                {
                    batcher.PostHeld();
                }
            }
        }
    }

    private void Add(byte[] item, string what, QueueSettings settings)
    {
        lock (_held)
        {
            _what = what;
            if (_inFlight == 0 && _held.Count == 0)
            {
                Post([item]);
                return;
            }

            if (_held.Count > 0 && _heldBytes + item.Length > settings.BatchMaxBytes)
            {
                PostHeld();
            }

            if (_held.Count == 0)
            {
                Interlocked.Increment(ref _holding);
            }

            _held.Add(item);
            _heldBytes += item.Length;
            if (_held.Count >= settings.PutBatch)
            {
                PostHeld();
            }
        }
    }

    /// <summary>Sends the held puts as one message (under the lock, so batches leave in the order they were put).</summary>
    private void PostHeld()
    {
        var batch = _held.ToArray();
        _held.Clear();
        _heldBytes = 0;
        Interlocked.Decrement(ref _holding);
        Post(batch);
    }

    private void Post(byte[][] batch)
    {
        _inFlight++;
        _ = Caller.PostWrite(_queue, id => new PutMany(id, batch), _what).ContinueWith(
            static (ack, state) => ((PutBatcher)state!).OnAcknowledged(ack),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void OnAcknowledged(Task<IReply> ack)
    {
        lock (_held)
        {
            _inFlight--;

            // After a failure the held puts wait for the program's next call, which raises the failure.
            if (ack.IsCompletedSuccessfully && ack.Result is not Failed && _held.Count > 0)
            {
                PostHeld();
            }
        }
    }
}
