using Akka.Actor;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>
/// Python's <c>Lock</c> (not reentrant, released by anyone, L-05) or <c>RLock</c> (reentrant for its owner thread,
/// released only by it, RL-01, RL-03) as an actor that can lend its authority: a process's lease agent
/// (<see cref="LockLeases"/>) takes a <em>lease</em> on the free lock, and its threads then acquire and release
/// locally. When another process asks for the lock, the holder is sent a <see cref="Revoke"/> and returns the lease
/// once the lock is free there; requests wait here in arrival order meanwhile. Queries and a Lock's release by
/// another process are relayed to the holder, so they stay exact. Processes that do not take leases use the plain
/// protocol (<see cref="Acquire"/>, <see cref="Release"/>, <see cref="GetValue"/>) against the same state.
/// A process that dies holding the lease or the lock releases it; the next owner is told it was abandoned (L-09,
/// RL-04 target) — also when the dead holder's lock was free but its lease not yet returned.
/// </summary>
internal sealed class LeaseLockActor : ReceiveActor, IWithTimers
{
    private readonly bool _reentrant;
    private readonly WaiterQueue _waiters = new();
    private readonly HashSet<IActorRef> _watched = [];
    private readonly Dictionary<long, Relay> _relays = [];

    // Owner under the plain protocol (a process's reply actor), when no lease is out.
    private IActorRef? _owner;
    private long _ownerThread;
    private long _depth;

    // The lease, when a process holds it: the lock's state is then that process's.
    private IActorRef? _holder;
    private long _leaseId;
    private bool _revokeSent;

    private long _lastRelay;
    private long _lastProbe;
    private bool _abandoned;

    public LeaseLockActor(bool reentrant)
    {
        _reentrant = reentrant;
        Receive<Acquire>(OnAcquire);
        Receive<Release>(OnRelease);
        Receive<GetValue>(OnGetValue);
        Receive<LeaseRequest>(OnLeaseRequest);
        Receive<ReturnLease>(OnReturn);
        Receive<RevokeDeferred>(OnDeferred);
        Receive<LeaseState>(OnLeaseState);
        Receive<ForeignReleased>(OnForeignReleased);
        Receive<Cancel>(m => Expire(Sender, m.CallId, withdrawn: true));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, withdrawn: false));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(bool reentrant) => Akka.Actor.Props.Create(() => new LeaseLockActor(reentrant));

    private string NotOwnerMessage => "Attempt to release a recursive lock not owned by this thread (RL-03).";

    private static string NotHeldMessage => "The lock is not held: released too many times (L-06).";

    /// <summary>The value a query answers: a Lock is 1 when free and 0 when held, an RLock answers its depth.</summary>
    private long ValueOf(long depth) => _reentrant ? depth : (depth > 0 ? 0 : 1);

    private void OnAcquire(Acquire acquire)
    {
        if (_holder is null)
        {
            if (_owner is null && _waiters.Count == 0)
            {
                Own(Sender, acquire.Thread);
                Sender.Tell(new Flag(acquire.CallId, true, TakeAbandoned()));
                return;
            }

            if (_reentrant && Equals(_owner, Sender) && _ownerThread == acquire.Thread)
            {
                _depth++;
                Sender.Tell(new Flag(acquire.CallId, true, false));
                return;
            }

            if (acquire.TimeoutMs == 0)
            {
                Sender.Tell(new Flag(acquire.CallId, false, false));
                return;
            }

            Park(new Waiter(Sender, acquire.CallId, acquire.Thread, new Wanted(Lease: false, Probe: 0)), acquire.TimeoutMs);
            return;
        }

        // The lock's state is at the holder: it hands the lease back once free (at once if free and not waiting).
        var probe = acquire.TimeoutMs == 0 ? ++_lastProbe : 0;
        Park(new Waiter(Sender, acquire.CallId, acquire.Thread, new Wanted(Lease: false, probe)), acquire.TimeoutMs);
        RevokeLease(probe);
    }

    private void OnLeaseRequest(LeaseRequest request)
    {
        if (_holder is null)
        {
            if (_owner is null && _waiters.Count == 0)
            {
                GrantLease(Sender, request.CallId);
                return;
            }

            if (request.TimeoutMs == 0)
            {
                Sender.Tell(new LeaseDenied(request.CallId));
                return;
            }

            Park(new Waiter(Sender, request.CallId, 0, new Wanted(Lease: true, Probe: 0)), request.TimeoutMs);
            return;
        }

        if (Equals(_holder, Sender))
        {
            // A request sent before the lease reached its process: it holds the lease already.
            Sender.Tell(new LeaseGranted(request.CallId, _leaseId, false));
            return;
        }

        var probe = request.TimeoutMs == 0 ? ++_lastProbe : 0;
        Park(new Waiter(Sender, request.CallId, 0, new Wanted(Lease: true, probe)), request.TimeoutMs);
        RevokeLease(probe);
    }

    private void OnReturn(ReturnLease returned)
    {
        if (returned.CallId != 0)
        {
            Sender.Tell(new Done(returned.CallId));
        }

        if (_holder is null || returned.LeaseId != _leaseId)
        {
            return;
        }

        _abandoned |= returned.Abandoned;
        EndLease();
        ServeNext();
    }

    private void OnDeferred(RevokeDeferred deferred)
    {
        if (_holder is not null && deferred.LeaseId == _leaseId)
        {
            // The lock was held at the holder when these requests that do not wait arrived.
            AnswerProbes(deferred.Probe);
        }
    }

    private void OnRelease(Release release)
    {
        if (_holder is not null)
        {
            if (_reentrant)
            {
                // The owner is a thread of the holding process, which releases locally.
                Sender.Tell(new Failed(release.CallId, RemoteError.From(new SynchronizationLockException(NotOwnerMessage))));
                return;
            }

            SendRelay(new Relay(Sender, release.CallId, IsRelease: true));
            return;
        }

        if (_reentrant ? !Equals(_owner, Sender) || _ownerThread != release.Thread || _depth == 0 : _owner is null)
        {
            Exception error = _reentrant ? new SynchronizationLockException(NotOwnerMessage) : new SemaphoreFullException(NotHeldMessage);
            Sender.Tell(new Failed(release.CallId, RemoteError.From(error)));
            return;
        }

        _depth = _reentrant ? _depth - 1 : 0;
        Sender.Tell(new Done(release.CallId));
        if (_depth == 0)
        {
            _owner = null;
            ServeNext();
        }
    }

    private void OnGetValue(GetValue get)
    {
        if (_holder is not null)
        {
            SendRelay(new Relay(Sender, get.CallId, IsRelease: false));
            return;
        }

        Sender.Tell(new Number(get.CallId, ValueOf(_owner is null ? 0 : _depth)));
    }

    private void OnLeaseState(LeaseState state)
    {
        if (_relays.Remove(state.RelayId, out var relay))
        {
            relay.Caller.Tell(new Number(relay.CallId, ValueOf(state.Depth)));
        }
    }

    private void OnForeignReleased(ForeignReleased released)
    {
        if (_relays.Remove(released.RelayId, out var relay))
        {
            relay.Caller.Tell(released.Released
                ? new Done(relay.CallId)
                : new Failed(relay.CallId, RemoteError.From(new SemaphoreFullException(NotHeldMessage))));
        }
    }

    /// <summary>A timeout fired (<paramref name="withdrawn"/> false) or the caller withdrew its request.</summary>
    private void Expire(IActorRef caller, long callId, bool withdrawn)
    {
        if (_waiters.Remove((caller, callId)) is not { } waiter)
        {
            return;
        }

        Timers.Cancel(waiter.Key);
        if (withdrawn)
        {
            caller.Tell(new Withdrawn(callId));
        }
        else
        {
            Refuse(waiter);
        }
    }

    /// <summary>A caller's process died: its requests go, and a lock or lease it held is released as abandoned.</summary>
    private void OnTerminated(Terminated terminated)
    {
        var dead = terminated.ActorRef;
        _watched.Remove(dead);
        foreach (var waiter in _waiters.RemoveAll(dead))
        {
            Timers.Cancel(waiter.Key);
        }

        if (Equals(_holder, dead))
        {
            _abandoned = true;
            EndLease();
            ServeNext();
        }
        else if (Equals(_owner, dead))
        {
            _abandoned = true;
            _owner = null;
            _depth = 0;
            ServeNext();
        }
    }

    private void Own(IActorRef caller, long thread)
    {
        _owner = caller;
        _ownerThread = thread;
        _depth = 1;
        Watch(caller);
    }

    private void GrantLease(IActorRef holder, long callId)
    {
        _holder = holder;
        _leaseId = NewLeaseId();
        _revokeSent = false;
        Watch(holder);
        holder.Tell(new LeaseGranted(callId, _leaseId, TakeAbandoned()));

        // Other requests of the same process (one that does not wait, one that does) are answered with this lease.
        foreach (var same in _waiters.All.Where(w => Equals(w.Caller, holder) && ((Wanted)w.Payload!).Lease).ToList())
        {
            _waiters.Remove(same.Key);
            Timers.Cancel(same.Key);
            holder.Tell(new LeaseGranted(same.CallId, _leaseId, false));
        }
    }

    /// <summary>A lease id no earlier lease of this lock had (so a late message about an old lease is recognised).</summary>
    private long NewLeaseId()
    {
        long id;
        do
        {
            id = Random.Shared.NextInt64(1, long.MaxValue);
        }
        while (id == _leaseId);

        return id;
    }

    /// <summary>Asks the holder for the lease: once per lease for waiting requests, each time for a probe.</summary>
    private void RevokeLease(long probe)
    {
        if (probe != 0)
        {
            _holder!.Tell(new Revoke(_leaseId, probe));
        }
        else if (!_revokeSent)
        {
            _revokeSent = true;
            _holder!.Tell(new Revoke(_leaseId, 0));
        }
    }

    /// <summary>The lease came back (or its holder died): the lock is free here; relayed calls are answered from that.</summary>
    private void EndLease()
    {
        _holder = null;
        _revokeSent = false;
        foreach (var relay in _relays.Values)
        {
            relay.Caller.Tell(relay.IsRelease
                ? new Failed(relay.CallId, RemoteError.From(new SemaphoreFullException(NotHeldMessage)))
                : new Number(relay.CallId, ValueOf(0)));
        }

        _relays.Clear();
    }

    private void SendRelay(Relay relay)
    {
        var id = ++_lastRelay;
        _relays[id] = relay;
        _holder!.Tell(relay.IsRelease ? new ForeignRelease(id, _leaseId) : new QueryLease(id, _leaseId));
    }

    /// <summary>Serves the first waiter of a free lock; the rest wait (those that do not wait are refused).</summary>
    private void ServeNext()
    {
        if (_holder is null && _owner is null && _waiters.TakeFirst() is { } next)
        {
            Timers.Cancel(next.Key);
            if (((Wanted)next.Payload!).Lease)
            {
                GrantLease(next.Caller, next.CallId);
            }
            else
            {
                Own(next.Caller, next.Thread);
                next.Caller.Tell(new Flag(next.CallId, true, TakeAbandoned()));
            }
        }

        // Requests that do not wait lost the race to the one just served.
        AnswerProbes(long.MaxValue);
        if (_holder is not null && _waiters.Count > 0)
        {
            RevokeLease(0);
        }
    }

    /// <summary>Refuses the requests that do not wait and were probed up to <paramref name="probe"/>.</summary>
    private void AnswerProbes(long probe)
    {
        foreach (var waiter in _waiters.All.Where(w => w.Payload is Wanted { Probe: > 0 } wanted && wanted.Probe <= probe).ToList())
        {
            _waiters.Remove(waiter.Key);
            Refuse(waiter);
        }
    }

    private static void Refuse(Waiter waiter) =>
        waiter.Caller.Tell(((Wanted)waiter.Payload!).Lease ? new LeaseDenied(waiter.CallId) : new Flag(waiter.CallId, false, false));

    private void Park(Waiter waiter, long timeoutMs)
    {
        _waiters.Add(waiter);
        Watch(waiter.Caller);
        if (timeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(waiter.Caller, waiter.CallId), TimeSpan.FromMilliseconds(timeoutMs));
        }
    }

    /// <summary>Whether the lock was abandoned by a dead owner since the last grant (told once).</summary>
    private bool TakeAbandoned()
    {
        var abandoned = _abandoned;
        _abandoned = false;
        return abandoned;
    }

    private void Watch(IActorRef caller)
    {
        if (_watched.Add(caller))
        {
            Context.Watch(caller);
        }
    }

    /// <summary>What a parked request wants: the lease or the lock itself; a non-zero probe: it does not wait.</summary>
    private sealed record Wanted(bool Lease, long Probe);

    /// <summary>A call of another process waiting for the holder's answer.</summary>
    private sealed record Relay(IActorRef Caller, long CallId, bool IsRelease);
}
