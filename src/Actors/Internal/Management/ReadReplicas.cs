using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>The <c>multiprocessing.shared-objects</c> section. Defaults live only in reference.conf.</summary>
/// <param name="ReadCache">Whether processes take read leases on manager containers.</param>
/// <param name="ReadLeaseAfter">Reads sent to the manager before a process asks for a lease.</param>
/// <param name="ReadLeaseMaxBytes">The largest state (encoded) a container leases, and a copy may grow to.</param>
/// <param name="ReadCacheMaxBytes">The copies one process keeps together, encoded.</param>
internal sealed record SharedObjectSettings(bool ReadCache, int ReadLeaseAfter, long ReadLeaseMaxBytes, long ReadCacheMaxBytes)
{
    /// <summary>Reads and checks the section.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static SharedObjectSettings Create(Config config)
    {
        var section = config.GetConfig("multiprocessing.shared-objects")
            ?? throw new InvalidOperationException("The configuration has no multiprocessing.shared-objects section.");
        var after = section.GetInt("read-lease-after");
        var maxBytes = section.GetLong("read-lease-max-bytes");
        var cacheBytes = section.GetLong("read-cache-max-bytes");
        if (after < 1 || maxBytes < 0 || cacheBytes < 0)
        {
            throw new ArgumentException(
                $"multiprocessing.shared-objects.read-lease-after ({after}) must be at least 1, read-lease-max-bytes " +
                $"({maxBytes}) and read-cache-max-bytes ({cacheBytes}) must not be negative; use read-cache = off to turn read leases off.");
        }

        return new SharedObjectSettings(section.GetBoolean("read-cache"), after, maxBytes, cacheBytes);
    }
}

/// <summary>
/// The read leases of this process: one <see cref="ReadReplica"/> per manager container it uses (however many
/// proxies point at it). Grants and revokes arrive at this process's reply actor, in the order the container sent
/// them; at exit the leases still held are given back, so the next change does not wait to see this process gone.
/// </summary>
internal static class ReadReplicas
{
    private static readonly ConcurrentDictionary<ActorPath, ReadReplica> Replicas = new();
    private static readonly Lazy<SharedObjectSettings> SettingsValue = new(() => SharedObjectSettings.Create(MultiprocessingRuntime.Config));
    private static readonly Lazy<CopyBudget> Budget = new(() => new CopyBudget(Settings.ReadCacheMaxBytes, victim => _ = victim.ReturnAsync()));
    private static int _exitStepRegistered;

    public static SharedObjectSettings Settings => SettingsValue.Value;

    /// <summary>
    /// The replica state of the container behind <paramref name="target"/>, or <see langword="null"/> when read
    /// caching is off or <paramref name="kind"/> (a <see cref="ContainerKinds"/> name) is not leased.
    /// </summary>
    public static ReadReplica? For(IActorRef target, string kind) =>
        Settings.ReadCache && ContainerState.IsLeased(kind)
            ? Replicas.GetOrAdd(target.Path, _ => new ReadReplica(target, kind, Settings.ReadLeaseAfter, Settings.ReadLeaseMaxBytes))
            : null;

    /// <summary>A lease arrived (on the reply actor, before the waiting call resumes).</summary>
    public static void Granted(IActorRef? target, LeaseGranted grant)
    {
        if (target is not null && Replicas.TryGetValue(target.Path, out var replica) && replica.Install(grant))
        {
            RegisterExitStep();
            Budget.Value.Installed(replica);
        }
    }

    /// <summary>A container revoked leases up to <paramref name="epoch"/>; <paramref name="container"/> sits under the object's guard.</summary>
    public static void Revoked(IActorRef container, long epoch)
    {
        if (Replicas.TryGetValue(container.Path, out var replica) ||
            (container.Path.Parent is { } guard && Replicas.TryGetValue(guard, out replica)))
        {
            replica.Revoke(epoch);
        }
    }

    /// <summary>
    /// The process at <paramref name="address"/> is gone, or a new one answers there: copies of its objects are
    /// dropped, and proxies made from now on get new replicas (a new manager may reuse the port and the paths).
    /// </summary>
    public static void Forget(Address address)
    {
        foreach (var (path, replica) in Replicas)
        {
            if (path.Address.Equals(address) && Replicas.TryRemove(path, out _))
            {
                replica.Drop();
            }
        }
    }

    /// <summary>The container behind <paramref name="target"/> is gone: its copy is dropped.</summary>
    public static void Forget(IActorRef target)
    {
        if (Replicas.TryRemove(target.Path, out var replica))
        {
            replica.Drop();
        }
    }

    /// <summary>Gives back every lease still held; each container answers, so the returns are acknowledged.</summary>
    public static Task ReturnAllAsync() =>
        Task.WhenAll(Replicas.Values.Select(r => r.ReturnAsync()));

    private static void RegisterExitStep()
    {
        if (Interlocked.Exchange(ref _exitStepRegistered, 1) == 0)
        {
            ProcessEnd.Register("read leases", ReturnAllAsync);
        }
    }
}

/// <summary>
/// This process's view of one container: while it holds a lease, a replica of the container's state answers reads;
/// writes sent without waiting are applied to the replica in the order they are sent, so it stays equal to the
/// container (every other process's change revokes the lease first). Anything else this process changes drops the
/// replica. After a lease that was revoked before it answered as many reads as it took to ask, the next request
/// waits for twice as many reads (up to 64 times the configured number), so objects changed by several processes in
/// turn are not copied back and forth.
/// </summary>
internal sealed class ReadReplica
{
    private const int MaxBackoff = 64;

    private readonly object _gate = new();
    private readonly IActorRef _target;
    private readonly string _kind;
    private readonly int _readsBeforeLease;
    private readonly long _maxBytes;
    private ContainerState? _state;
    private long _epoch;
    private long _revokedUpTo = -1;
    private long _writes;
    private long _writesAtRequest;
    private bool _requesting;
    private bool _held;
    private int _misses;
    private int _hits;
    private int _threshold;
    private long _bytes;

    /// <param name="target">The container (its guard).</param>
    /// <param name="kind">A <see cref="ContainerKinds"/> name.</param>
    /// <param name="readsBeforeLease">Reads sent to the container before a lease is asked for.</param>
    /// <param name="maxBytes">The size a copy may grow to through this process's own writes before it is dropped.</param>
    public ReadReplica(IActorRef target, string kind, int readsBeforeLease, long maxBytes)
    {
        _target = target;
        _kind = kind;
        _readsBeforeLease = readsBeforeLease;
        _maxBytes = maxBytes;
        _threshold = readsBeforeLease;
    }

    public IActorRef Target => _target;

    /// <summary>The encoded size of the copy (0 without one), as counted against the process's budget.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>This replica's place among the copies the budget keeps (owned by <see cref="CopyBudget"/>).</summary>
    internal LinkedListNode<ReadReplica>? BudgetNode { get; set; }

    /// <summary>Whether a replica answers reads now (tests and diagnostics).</summary>
    public bool HasCopy
    {
        get
        {
            lock (_gate)
            {
                return _state is not null;
            }
        }
    }

    /// <summary>
    /// Answers a read from the replica. <see langword="false"/> when there is none (the copy of a container whose
    /// process is gone was dropped by <see cref="ReadReplicas.Forget(Address)"/>, so the call fails as it should), when
    /// an earlier write failed (the call raises it), or when the read fails (the call brings the server's error).
    /// </summary>
    public bool TryRead(string method, byte[][] args, out IReply reply)
    {
        lock (_gate)
        {
            if (_state is not null && !Caller.HasFailedWrite)
            {
                try
                {
                    reply = _state.Handle(0, method, args);
                    _hits++;
                    return true;
                }
                catch (Exception)
                {
                    // Errors come from the container, with its stack (M-23).
                }
            }
            else if (_state is null)
            {
                _misses++;
            }
        }

        reply = null!;
        return false;
    }

    /// <summary>
    /// Asks for a lease when this process has read enough without one; returns whether a replica now answers. The
    /// grant itself is installed by the reply actor (<see cref="Install"/>) before this call resumes.
    /// </summary>
    public bool TryLease()
    {
        lock (_gate)
        {
            if (_state is not null || _requesting || _misses < _threshold)
            {
                return _state is not null;
            }

            _requesting = true;
            _writesAtRequest = _writes;
        }

        try
        {
            IReply reply;
            try
            {
                reply = Caller.Call(_target, id => new ReadLease(id), $"{_kind}.lease");
            }
            catch (Exception ex) when (ex is MultiprocessingException or System.Security.Authentication.AuthenticationException)
            {
                // The read itself goes to the container next and raises what is wrong, named after the read.
                reply = new Failed(0, RemoteError.From(ex));
            }

            if (reply is not LeaseGranted)
            {
                // Declined (too large) or failed: ask again only after more reads.
                lock (_gate)
                {
                    _misses = 0;
                    _threshold = Math.Min(_threshold * 2, _readsBeforeLease * MaxBackoff);
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _requesting = false;
            }
        }

        return HasCopy;
    }

    /// <summary>
    /// Installs a grant unless it is already void: revoked, or this process changed the object after asking (the
    /// copy may not hold that change).
    /// </summary>
    /// <returns>Whether the container now counts this process as a holder.</returns>
    public bool Install(LeaseGranted grant)
    {
        lock (_gate)
        {
            if (grant.Epoch <= _revokedUpTo)
            {
                return false;
            }

            _held = true;
            if (_writes == _writesAtRequest)
            {
                _state = ContainerState.Create(_kind, grant.Snapshot);
                _epoch = grant.Epoch;
                _hits = 0;
                _bytes = grant.Snapshot.Sum(part => (long)part.Length);
            }

            return true;
        }
    }

    /// <summary>The container revoked leases up to <paramref name="epoch"/>.</summary>
    public void Revoke(long epoch)
    {
        lock (_gate)
        {
            _revokedUpTo = Math.Max(_revokedUpTo, epoch);
            _held = false;
            if (_state is not null && _epoch <= epoch)
            {
                _threshold = _hits < _threshold ? Math.Min(_threshold * 2, _readsBeforeLease * MaxBackoff) : _readsBeforeLease;
                DropCopy();
                _misses = 0;
            }
        }
    }

    /// <summary>
    /// Sends a write that cannot fail (set, update, append, extend) without waiting, applying it to the replica in
    /// the same order as it is sent.
    /// </summary>
    public void Write(string method, byte[][] args, Func<long, IRequest> request, string what)
    {
        Caller.PrepareWrite(_target, what);
        lock (_gate)
        {
            _writes++;
            if (_state is not null)
            {
                _state.Handle(0, method, args);
                _bytes += args.Sum(part => (long)part.Length);
                if (_bytes > _maxBytes)
                {
                    // Grown past what a lease is granted for: reads go to the container again.
                    DropCopy();
                }
            }

            Caller.PostWrite(_target, request, what);
        }
    }

    /// <summary>Any other change by this process: the replica is dropped before it is sent.</summary>
    public void Changing()
    {
        lock (_gate)
        {
            _writes++;
            DropCopy();
        }
    }

    /// <summary>The container is gone: no copy, nothing to give back.</summary>
    public void Drop()
    {
        lock (_gate)
        {
            DropCopy();
            _held = false;
            _revokedUpTo = long.MaxValue;
        }
    }

    /// <summary>Gives the lease back if the container still counts this process as a holder.</summary>
    public async Task ReturnAsync()
    {
        lock (_gate)
        {
            if (!_held)
            {
                return;
            }

            _held = false;
            DropCopy();
        }

        if (!Caller.IsGone(_target))
        {
            await Caller.SendAsync(_target, id => new ReturnReadLease(id), $"{_kind}.return-lease", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Drops the copy (the caller holds the gate).</summary>
    private void DropCopy()
    {
        _state = null;
        Volatile.Write(ref _bytes, 0);
    }
}

/// <summary>
/// The copies one process keeps together stay within <c>multiprocessing.shared-objects.read-cache-max-bytes</c>: a new
/// copy that would exceed it gives back the oldest others (<paramref name="evict"/>), so a process that reads many
/// large objects in turn holds a bounded amount of memory.
/// </summary>
internal sealed class CopyBudget(long limit, Action<ReadReplica> evict)
{
    private readonly object _gate = new();
    private readonly LinkedList<ReadReplica> _copies = new();

    /// <summary><paramref name="replica"/> got a copy: it becomes the newest, and older ones go while the total is above the limit.</summary>
    public void Installed(ReadReplica replica)
    {
        var victims = new List<ReadReplica>();
        lock (_gate)
        {
            if (replica.BudgetNode is { } node)
            {
                _copies.Remove(node);
            }

            replica.BudgetNode = _copies.AddLast(replica);
            var total = _copies.Sum(r => r.Bytes);
            for (var oldest = _copies.First; total > limit && oldest is not null && oldest.Value != replica; oldest = oldest.Next)
            {
                victims.Add(oldest.Value);
                total -= oldest.Value.Bytes;
            }

            foreach (var victim in victims)
            {
                _copies.Remove(victim.BudgetNode!);
                victim.BudgetNode = null;
            }
        }

        foreach (var victim in victims)
        {
            evict(victim);
        }
    }
}
