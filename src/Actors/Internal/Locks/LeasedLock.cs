using System.Diagnostics;
using Akka.Actor;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>
/// One Lock or RLock as this process sees it. While this process holds the lock's lease, its threads acquire and
/// release here, under a local monitor: owner thread and depth (RLock), held or not (Lock, released by any thread,
/// L-05), waiters served in arrival order, timeouts and cancellation as the lock actor would apply them. Without the
/// lease, one request for it per process waits at the lock actor (<see cref="LeaseLockActor"/>) for the waiting
/// threads; a request that must not wait asks once and is refused when the lock is busy.
/// </summary>
/// <remarks>
/// When another process wants the lock (a revoke), the lease goes back at the first release that frees the lock once
/// the lease is <see cref="LockSettings.LeaseQuantum"/> old (at once if the lock is free and unused, or for a request
/// that does not wait); this process's waiting threads then queue at the lock actor behind that process. A lease of a
/// lock nobody here used for <see cref="LockSettings.LeaseLinger"/> goes back by itself.
/// </remarks>
internal sealed class LeasedLock
{
    private readonly object _gate = new();
    private readonly LinkedList<LocalWaiter> _waiters = new();
    private readonly long _quantumTicks;
    private readonly TimeSpan _linger;
    private readonly Timer _lingerTimer;
    private readonly Timer _quantumTimer;

    private long _leaseId;
    private long _returnedLeaseId;
    private long _grantedAt;
    private bool _revoked;
    private bool _used;
    private bool _active;
    private bool _pendingAbandoned;

    private long _ownerThread;
    private long _depth;

    private int _blockingWaiters;
    private long _request;
    private bool _cancelSent;
    private long _tryRequest;
    private bool _watching;
    private bool _contacted;
    private bool _gone;

    public LeasedLock(IActorRef target, bool reentrant, LockSettings settings)
    {
        Target = target;
        Reentrant = reentrant;
        _linger = settings.LeaseLinger;
        _quantumTicks = (long)(settings.LeaseQuantum.TotalSeconds * Stopwatch.Frequency);
        _lingerTimer = new Timer(static state => ((LeasedLock)state!).OnLinger(), this, Timeout.Infinite, Timeout.Infinite);
        _quantumTimer = new Timer(static state => ((LeasedLock)state!).OnQuantumEnd(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public IActorRef Target { get; }

    public bool Reentrant { get; }

    private string Kind => Reentrant ? "RLock" : "Lock";

    /// <summary>Takes the lock for <paramref name="owner"/> (a thread id; 0 for a Lock), as the lock actor would.</summary>
    public (bool Acquired, bool Abandoned) Acquire(long owner, long timeoutMs)
    {
        if (Caller.HasPendingWrites)
        {
            Caller.DrainWrites();
        }

        lock (_gate)
        {
            if (TryLocal(owner, timeoutMs, out var result))
            {
                return result;
            }
        }

        var proof = KeyRing.EnsureAsync(Target);
        if (!proof.IsCompletedSuccessfully)
        {
            proof.GetAwaiter().GetResult();
        }

        var waiter = Enter(owner, timeoutMs, CancellationToken.None, out var decided);
        return waiter is null ? decided : waiter.Completion.Task.GetAwaiter().GetResult();
    }

    /// <summary>The awaitable twin of <see cref="Acquire"/>; cancelling withdraws the wait (a grant that came first stands).</summary>
    public async Task<(bool Acquired, bool Abandoned)> AcquireAsync(long owner, long timeoutMs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Caller.HasPendingWrites)
        {
            await Caller.DrainWritesAsync().ConfigureAwait(false);
        }

        lock (_gate)
        {
            if (TryLocal(owner, timeoutMs, out var result))
            {
                return result;
            }
        }

        await KeyRing.EnsureAsync(Target).ConfigureAwait(false);
        var waiter = Enter(owner, timeoutMs, cancellationToken, out var decided);
        return waiter is null ? decided : await waiter.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Releases locally when this process holds the lease; <see langword="false"/> when it does not (the release then
    /// goes to the lock actor: another process may hold a Lock, L-05, or the release is an error there).
    /// </summary>
    /// <exception cref="SynchronizationLockException">An RLock <paramref name="owner"/> does not own (RL-03).</exception>
    /// <exception cref="SemaphoreFullException">A Lock that is not held (L-06).</exception>
    public bool TryRelease(long owner)
    {
        lock (_gate)
        {
            if (_leaseId == 0)
            {
                return false;
            }

            if (Reentrant && (_depth == 0 || _ownerThread != owner))
            {
                throw new SynchronizationLockException("Attempt to release a recursive lock not owned by this thread (RL-03).");
            }

            if (_depth == 0)
            {
                throw new SemaphoreFullException("The lock is not held: released too many times (L-06).");
            }

            _depth--;
            if (_depth == 0)
            {
                Freed();
            }

            return true;
        }
    }

    /// <summary>The lock's depth (0 = free) when this process holds the lease, so it knows exactly.</summary>
    public bool TryLocalDepth(out long depth)
    {
        lock (_gate)
        {
            depth = _depth;
            return _leaseId != 0;
        }
    }

    // ----- messages from the lock actor, through the agent -----

    /// <summary>A lease arrived (or the answer that this process holds it already).</summary>
    public void OnGranted(long callId, long leaseId, bool abandoned)
    {
        lock (_gate)
        {
            ForgetRequest(callId);
            if (leaseId == _leaseId)
            {
                return;
            }

            if (leaseId == _returnedLeaseId || _gone || _leaseId != 0)
            {
                // The answer to a request sent while this process still held a lease it has given back since.
                Settle();
                return;
            }

            _leaseId = leaseId;
            LockLeases.Leases[leaseId] = this;
            _grantedAt = Stopwatch.GetTimestamp();
            _revoked = false;
            _used = false;
            _active = false;
            _pendingAbandoned = abandoned;
            _depth = 0;
            if (_waiters.First is { } first)
            {
                Serve(first.Value);
            }

            FailTries();
            _lingerTimer.Change(_linger, _linger);
        }
    }

    /// <summary>A lease request was refused (it did not wait) or withdrawn.</summary>
    public void OnRequestEnded(long callId)
    {
        lock (_gate)
        {
            ForgetRequest(callId);
            Settle();
        }
    }

    /// <summary>Another process wants the lock: the lease goes back now if the lock is free and due, else later.</summary>
    public void OnRevoke(long leaseId, long probe)
    {
        lock (_gate)
        {
            if (leaseId != _leaseId)
            {
                return;
            }

            _revoked = true;
            if (_depth == 0 && (probe != 0 || !_used || PastQuantum()))
            {
                ReturnLease();
                return;
            }

            if (probe != 0)
            {
                Target.Tell(new RevokeDeferred(leaseId, probe), LockLeases.Agent);
            }

            // A lock still held goes back at the release that frees it after the quantum; a free one when it ends.
            var left = _quantumTicks - (Stopwatch.GetTimestamp() - _grantedAt);
            if (left > 0)
            {
                _quantumTimer.Change(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency), Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>The quantum of a revoked lease ended: a free lock goes back now (a held one at its release).</summary>
    private void OnQuantumEnd()
    {
        lock (_gate)
        {
            if (_leaseId == 0 || !_revoked || _depth != 0)
            {
                return;
            }

            var left = _quantumTicks - (Stopwatch.GetTimestamp() - _grantedAt);
            if (left > 0)
            {
                _quantumTimer.Change(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency), Timeout.InfiniteTimeSpan);
                return;
            }

            ReturnLease();
        }
    }

    /// <summary>Gives back a lease nobody used during a linger period.</summary>
    private void OnLinger()
    {
        lock (_gate)
        {
            if (_leaseId != 0 && _depth == 0 && !_active)
            {
                ReturnLease();
            }

            _active = false;
        }
    }

    /// <summary>Another process asks for the state (Locked, value, depth).</summary>
    public void OnQuery(long relayId, long leaseId)
    {
        lock (_gate)
        {
            if (leaseId == _leaseId)
            {
                Target.Tell(new LeaseState(relayId, _depth), LockLeases.Agent);
            }
        }
    }

    /// <summary>Another process releases the Lock (L-05): released here, or an error if it is not held (L-06).</summary>
    public void OnForeignRelease(long relayId, long leaseId)
    {
        lock (_gate)
        {
            if (leaseId != _leaseId)
            {
                return;
            }

            if (_depth == 0)
            {
                Target.Tell(new ForeignReleased(relayId, false), LockLeases.Agent);
                return;
            }

            // The answer goes first: a lease returned by the release must not overtake it.
            _depth = 0;
            Target.Tell(new ForeignReleased(relayId, true), LockLeases.Agent);
            Freed();
        }
    }

    /// <summary>The lock's process is gone: waiting threads fail, and so do later calls.</summary>
    public void OnGone()
    {
        lock (_gate)
        {
            _gone = true;
            if (_leaseId != 0)
            {
                Returned();
            }

            foreach (var waiter in _waiters.ToList())
            {
                Remove(waiter);
                waiter.Completion.TrySetException(Caller.Unavailable($"{Kind}.Acquire", Target));
            }
        }
    }

    /// <summary>
    /// When the process ends: gives a free lock's lease back, and returns the acknowledgement to wait for. The
    /// acknowledgement also fences what this process sent the lock before (a lease its agent just gave back on a
    /// revoke, answers to relayed calls): the process must not end while those are still on their way. A lock held
    /// here keeps its lease; the process's death then releases it as abandoned.
    /// </summary>
    public Task<IReply>? ReturnAtExit()
    {
        lock (_gate)
        {
            if (_gone || !_contacted)
            {
                return null;
            }

            var leaseId = _leaseId != 0 && _depth == 0 ? _leaseId : 0;
            var abandoned = leaseId != 0 && _pendingAbandoned;
            var acknowledged = Caller.SendAsync(Target, id => new ReturnLease(id, leaseId, abandoned), $"{Kind} lease return", CancellationToken.None);
            if (leaseId != 0)
            {
                Returned();
            }

            return acknowledged;
        }
    }

    // ----- under the gate -----

    /// <summary>Decides without asking the lock actor when possible: this process holds the lease, or the lock is gone.</summary>
    private bool TryLocal(long owner, long timeoutMs, out (bool Acquired, bool Abandoned) result)
    {
        result = (false, false);
        if (_gone)
        {
            throw Caller.Unavailable($"{Kind}.Acquire", Target);
        }

        if (_leaseId == 0)
        {
            return Caller.IsGone(Target) ? throw Caller.Unavailable($"{Kind}.Acquire", Target) : false;
        }

        if (_depth > 0)
        {
            if (Reentrant && _ownerThread == owner)
            {
                _depth++;
                result = (true, false);
                return true;
            }

            // Held by another thread here: exact, no need to ask anyone (L-02).
            return timeoutMs == 0;
        }

        if (_waiters.Count == 0 && !(_revoked && PastQuantum()))
        {
            result = (true, Take(owner));
            return true;
        }

        return false;
    }

    private LocalWaiter? Enter(long owner, long timeoutMs, CancellationToken cancellationToken, out (bool Acquired, bool Abandoned) result)
    {
        lock (_gate)
        {
            if (TryLocal(owner, timeoutMs, out result))
            {
                return null;
            }

            if (_leaseId != 0 && _depth == 0)
            {
                // Free, but revoked and past its quantum: it goes to the process waiting for it; this thread queues behind.
                ReturnLease();
            }

            if (_leaseId != 0)
            {
                // Held by another thread here: wait for its release.
                return AddWaiter(owner, timeoutMs, isTry: false, cancellationToken);
            }

            if (!_watching)
            {
                _watching = true;
                LockLeases.Agent.Tell(new LockLeases.WatchLock(this));
            }

            if (timeoutMs == 0)
            {
                if (_request != 0)
                {
                    // Another thread of this process already waits for the lease: the lock is busy.
                    return null;
                }

                var trying = AddWaiter(owner, 0, isTry: true, cancellationToken);
                if (_tryRequest == 0)
                {
                    _tryRequest = SendRequest(0);
                }

                return trying;
            }

            var waiter = AddWaiter(owner, timeoutMs, isTry: false, cancellationToken);
            EnsureRequest();
            return waiter;
        }
    }

    private LocalWaiter AddWaiter(long owner, long timeoutMs, bool isTry, CancellationToken cancellationToken)
    {
        var waiter = new LocalWaiter(this, owner, isTry);
        waiter.Node = _waiters.AddLast(waiter);
        if (!isTry)
        {
            _blockingWaiters++;
        }

        if (timeoutMs > 0)
        {
            waiter.Timer = new Timer(static state => ((LocalWaiter)state!).Leave(canceled: false), waiter, timeoutMs, Timeout.Infinite);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(static state => ((LocalWaiter)state!).Leave(canceled: true), waiter);
        }

        return waiter;
    }

    /// <summary>A waiter's timeout ran out or its caller cancelled: it leaves, unless it was served first.</summary>
    private void Leave(LocalWaiter waiter, bool canceled)
    {
        lock (_gate)
        {
            if (waiter.Node is null)
            {
                return;
            }

            Remove(waiter);
            if (canceled)
            {
                waiter.Completion.TrySetCanceled();
            }
            else
            {
                waiter.Completion.TrySetResult((false, false));
            }

            if (_blockingWaiters == 0 && _request != 0 && !_cancelSent)
            {
                // Nobody here waits any more: withdraw the request (answered Withdrawn, or with a lease that goes back).
                _cancelSent = true;
                Target.Tell(new Cancel(_request), LockLeases.Agent);
            }
        }
    }

    private void Remove(LocalWaiter waiter)
    {
        if (waiter.Node is null)
        {
            return;
        }

        _waiters.Remove(waiter.Node);
        waiter.Node = null;
        if (!waiter.IsTry)
        {
            _blockingWaiters--;
        }

        waiter.Timer?.Dispose();
        waiter.Registration.Unregister();
    }

    private void Serve(LocalWaiter waiter)
    {
        Remove(waiter);
        var abandoned = Take(waiter.Owner);
        waiter.Completion.TrySetResult((true, abandoned));
    }

    /// <summary>Those that do not wait lose to a lock that is taken (or to a refused request).</summary>
    private void FailTries()
    {
        foreach (var waiter in _waiters.Where(w => w.IsTry).ToList())
        {
            Remove(waiter);
            waiter.Completion.TrySetResult((false, false));
        }
    }

    private bool Take(long owner)
    {
        _ownerThread = owner;
        _depth = 1;
        _used = true;
        _active = true;
        var abandoned = _pendingAbandoned;
        _pendingAbandoned = false;
        return abandoned;
    }

    /// <summary>The lock became free here: the next local waiter takes it, unless the lease is due back.</summary>
    private void Freed()
    {
        _active = true;
        if (_revoked && PastQuantum())
        {
            ReturnLease();
            EnsureRequest();
            return;
        }

        if (_waiters.First is { } first)
        {
            Serve(first.Value);
        }
    }

    private bool PastQuantum() => Stopwatch.GetTimestamp() - _grantedAt >= _quantumTicks;

    private void ReturnLease()
    {
        Target.Tell(new ReturnLease(0, _leaseId, _pendingAbandoned), LockLeases.Agent);
        Returned();
    }

    private void Returned()
    {
        _lingerTimer.Change(Timeout.Infinite, Timeout.Infinite);
        _quantumTimer.Change(Timeout.Infinite, Timeout.Infinite);
        LockLeases.Leases.TryRemove(_leaseId, out _);
        _returnedLeaseId = _leaseId;
        _leaseId = 0;
        _revoked = false;
        _pendingAbandoned = false;
    }

    private void ForgetRequest(long callId)
    {
        if (callId == _request)
        {
            _request = 0;
            _cancelSent = false;
        }

        if (callId == _tryRequest)
        {
            _tryRequest = 0;
        }
    }

    /// <summary>After a request ended without a lease: those that do not wait fail, waiting threads ask again.</summary>
    private void Settle()
    {
        if (_leaseId == 0 && _tryRequest == 0)
        {
            FailTries();
        }

        EnsureRequest();
    }

    private void EnsureRequest()
    {
        if (_request == 0 && _blockingWaiters > 0 && _leaseId == 0 && !_gone)
        {
            _request = SendRequest(-1);
            _cancelSent = false;
        }
    }

    private long SendRequest(long timeoutMs)
    {
        var id = LockLeases.NextId();
        _contacted = true;
        LockLeases.Requests[id] = this;
        Target.Tell(new LeaseRequest(id, timeoutMs), LockLeases.Agent);
        return id;
    }

    /// <summary>A thread (or async flow) waiting here; completed once, under the gate.</summary>
    private sealed class LocalWaiter(LeasedLock state, long thread, bool isTry)
    {
        public long Owner { get; } = thread;

        public bool IsTry { get; } = isTry;

        public TaskCompletionSource<(bool Acquired, bool Abandoned)> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<LocalWaiter>? Node { get; set; }

        public Timer? Timer { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Leave(bool canceled) => state.Leave(this, canceled);
    }
}
