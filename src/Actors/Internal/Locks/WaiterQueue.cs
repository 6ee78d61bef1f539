using Akka.Actor;

namespace Multiprocessing.Internal.Locks;

/// <summary>A parked request: who asked, under which call id, and for which thread.</summary>
internal sealed record Waiter(IActorRef Caller, long CallId, long Thread, object? Payload = null)
{
    public (IActorRef, long) Key => (Caller, CallId);
}

/// <summary>
/// Requests waiting on a shared object, served in arrival order (fairness). Each may carry a deadline, enforced by
/// the owning actor's timer so the object alone decides between "granted" and "timed out".
/// </summary>
internal sealed class WaiterQueue
{
    private readonly LinkedList<Waiter> _waiters = new();

    public int Count => _waiters.Count;

    public Waiter? First => _waiters.First?.Value;

    public void Add(Waiter waiter) => _waiters.AddLast(waiter);

    public Waiter? TakeFirst()
    {
        var first = _waiters.First;
        if (first is null)
        {
            return null;
        }

        _waiters.RemoveFirst();
        return first.Value;
    }

    public Waiter? Remove((IActorRef Caller, long CallId) key)
    {
        for (var node = _waiters.First; node is not null; node = node.Next)
        {
            if (Equals(node.Value.Caller, key.Caller) && node.Value.CallId == key.CallId)
            {
                _waiters.Remove(node);
                return node.Value;
            }
        }

        return null;
    }

    /// <summary>Drops every request of a process that died.</summary>
    public List<Waiter> RemoveAll(IActorRef caller)
    {
        var removed = new List<Waiter>();
        for (var node = _waiters.First; node is not null;)
        {
            var next = node.Next;
            if (Equals(node.Value.Caller, caller))
            {
                removed.Add(node.Value);
                _waiters.Remove(node);
            }

            node = next;
        }

        return removed;
    }

    public IEnumerable<Waiter> All => _waiters;
}

/// <summary>Timer message: the wait of one parked request ran out.</summary>
internal sealed record WaitExpired(IActorRef Caller, long CallId) : INoSerializationVerificationNeeded;
