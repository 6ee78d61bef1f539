using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Multiprocessing.Internal.Runtime;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Locks;

/// <summary>The <c>multiprocessing.locks</c> section, read once. Defaults live only in reference.conf.</summary>
internal sealed record LockSettings(bool Cache, TimeSpan LeaseLinger, TimeSpan LeaseQuantum)
{
    public static LockSettings Create(Config config)
    {
        var section = config.GetConfig("multiprocessing.locks")
            ?? throw new InvalidOperationException("The configuration has no multiprocessing.locks section.");
        var linger = section.GetTimeSpan("lease-linger");
        var quantum = section.GetTimeSpan("lease-quantum");
        if (linger <= TimeSpan.Zero)
        {
            throw new ArgumentException($"multiprocessing.locks.lease-linger is {linger}; use a positive duration such as 5ms.");
        }

        return new LockSettings(section.GetBoolean("cache"), linger, quantum);
    }
}

/// <summary>
/// The lock leases of this process: one <see cref="LeasedLock"/> per Lock or RLock it uses (however many proxies
/// point at it), and the agent actor ("lock-leases") that requests leases and answers the lock actors' revokes and
/// queries. At orderly exit the leases of free locks are given back, so nobody takes this process for a dead holder.
/// </summary>
internal static class LockLeases
{
    private static readonly ConcurrentDictionary<IActorRef, LeasedLock> Locks = new();
    private static readonly Lazy<LockSettings> SettingsValue = new(() => LockSettings.Create(MultiprocessingRuntime.Config));
    private static readonly Lazy<IActorRef> AgentValue = new(CreateAgent);
    private static long _lastId;

    public static LockSettings Settings => SettingsValue.Value;

    /// <summary>The agent: the identity of this process for the lock actors it holds leases of.</summary>
    public static IActorRef Agent => AgentValue.Value;

    /// <summary>Lease requests waiting for their answer, by call id.</summary>
    internal static ConcurrentDictionary<long, LeasedLock> Requests { get; } = new();

    /// <summary>Leases held here, by lease id.</summary>
    internal static ConcurrentDictionary<long, LeasedLock> Leases { get; } = new();

    /// <summary>The lease state of the lock behind <paramref name="target"/>, or <see langword="null"/> when caching is off.</summary>
    public static LeasedLock? For(IActorRef target, bool reentrant) =>
        Settings.Cache ? Locks.GetOrAdd(target, t => new LeasedLock(t, reentrant, Settings)) : null;

    public static long NextId() => Interlocked.Increment(ref _lastId);

    /// <summary>The process at <paramref name="address"/> is gone: waits for its locks fail now.</summary>
    public static void AddressGone(Address address)
    {
        if (AgentValue.IsValueCreated)
        {
            Agent.Tell(new AgentAddressGone(address));
        }
    }

    private static IActorRef CreateAgent()
    {
        var system = MultiprocessingRuntime.System;
        var agent = system.ActorOf(Props.Create(() => new LeaseAgent()), "lock-leases");

        // Handed back whichever way the process ends (coordinated shutdown, or a child's immediate exit).
        ProcessEnd.Register("lock leases", ReturnAllAsync);
        return agent;
    }

    /// <summary>Gives back the leases of free locks and completes once their actors have them.</summary>
    private static Task ReturnAllAsync() => Task.WhenAll(Locks.Values.Select(l => l.ReturnAtExit()).OfType<Task<IReply>>());

    internal sealed record AgentAddressGone(Address Address) : INoSerializationVerificationNeeded;

    internal sealed record WatchLock(LeasedLock Lock) : INoSerializationVerificationNeeded;

    /// <summary>
    /// Receives what lock actors send this process about leases (grants, revokes, queries, releases by other
    /// processes) and watches the lock actors, so waits for a lock whose process is gone fail.
    /// </summary>
    private sealed class LeaseAgent : ReceiveActor
    {
        private readonly Dictionary<IActorRef, LeasedLock> _watched = [];

        public LeaseAgent()
        {
            Receive<LeaseGranted>(m =>
            {
                if (Requests.TryRemove(m.CallId, out var l))
                {
                    l.OnGranted(m.CallId, m.LeaseId, m.Abandoned);
                }
            });
            Receive<LeaseDenied>(m =>
            {
                if (Requests.TryRemove(m.CallId, out var l))
                {
                    l.OnRequestEnded(m.CallId);
                }
            });
            Receive<Withdrawn>(m =>
            {
                if (Requests.TryRemove(m.CallId, out var l))
                {
                    l.OnRequestEnded(m.CallId);
                }
            });
            Receive<Revoke>(m =>
            {
                if (Leases.TryGetValue(m.LeaseId, out var l))
                {
                    l.OnRevoke(m.LeaseId, m.Probe);
                }
            });
            Receive<QueryLease>(m =>
            {
                if (Leases.TryGetValue(m.LeaseId, out var l))
                {
                    l.OnQuery(m.RelayId, m.LeaseId);
                }
            });
            Receive<ForeignRelease>(m =>
            {
                if (Leases.TryGetValue(m.LeaseId, out var l))
                {
                    l.OnForeignRelease(m.RelayId, m.LeaseId);
                }
            });
            Receive<WatchLock>(m =>
            {
                _watched[m.Lock.Target] = m.Lock;
                Context.Watch(m.Lock.Target);
            });
            Receive<Terminated>(t =>
            {
                if (_watched.Remove(t.ActorRef, out var l))
                {
                    l.OnGone();
                }
            });
            Receive<AgentAddressGone>(g =>
            {
                foreach (var (target, l) in _watched.Where(e => e.Key.Path.Address.Equals(g.Address)).ToList())
                {
                    _watched.Remove(target);
                    Context.Unwatch(target);
                    l.OnGone();
                }
            });
        }
    }
}
