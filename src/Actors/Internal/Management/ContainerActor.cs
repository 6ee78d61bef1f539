using Akka.Actor;
using Akka.Event;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// Base of the manager's shared objects: one actor per object, so every call on one object is atomic and calls from
/// one client run in order.
/// </summary>
internal abstract class ContainerActor : ReceiveActor
{
    /// <summary>Runs <paramref name="method"/>; throws the referent's exception.</summary>
    protected abstract IReply Handle(long callId, string method, byte[][] args);

    /// <summary>The answer to <paramref name="invoke"/>: its result, or its failure with type and server stack.</summary>
    protected IReply Answer(Invoke invoke)
    {
        try
        {
            var reply = Handle(invoke.CallId, invoke.Method, invoke.Args);
            if (reply is Data data)
            {
                // A reply above the limit would be dropped by the transport and the caller would wait forever.
                Serialization.MessageLimit.Check(data.Value.Length, $"The answer to {invoke.Method}", "Read it in parts (slices, single keys).");
            }

            return reply;
        }
        catch (Exception ex)
        {
            // M-23, pain point 13: the caller gets the same exception type, with this server's stack text.
            return new Failed(invoke.CallId, RemoteError.From(ex));
        }
    }
}

/// <summary>
/// A shared dict, list, Array, Namespace or Value, with read leases. A process that keeps reading the object asks
/// for a lease and gets a copy of the state; it answers its reads from that copy. Before this actor applies a change
/// sent by another process, it revokes every other copy and waits until each holder confirmed (or is gone), holding
/// every other message meanwhile: so no read anywhere returns a value older than a change that completed before the
/// read began, as when every read is a call.
/// </summary>
internal sealed class SharedContainerActor : ContainerActor, IWithUnboundedStash
{
    /// <summary>How long a change waits, by default, for holders that neither confirm nor are seen gone (the failure detector reports a dead process within seconds).</summary>
    internal static readonly TimeSpan DefaultRevokeLimit = TimeSpan.FromSeconds(30);

    private readonly string _kind;
    private readonly ContainerState _state;
    private readonly long _maxLeaseBytes;
    private readonly TimeSpan _revokeLimit;
    private readonly Dictionary<IActorRef, long> _holders = [];
    private readonly HashSet<IActorRef> _awaiting = [];
    private readonly HashSet<IActorRef> _watched = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _epoch;
    private ICancelable? _overdue;

    public SharedContainerActor(string kind, ContainerState state, long maxLeaseBytes, TimeSpan revokeLimit)
    {
        _revokeLimit = revokeLimit;
        _kind = kind;
        _state = state;
        _maxLeaseBytes = maxLeaseBytes;
        Serving();
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>
    /// The actor of a new object of <paramref name="kind"/> (a <see cref="ContainerKinds"/> name) made from its
    /// creation arguments; leases of states above <paramref name="maxLeaseBytes"/> are declined, and a change waits
    /// at most <paramref name="revokeLimit"/> (default <see cref="DefaultRevokeLimit"/>) for the holders' answers.
    /// </summary>
    public static Props Props(string kind, byte[][] args, long maxLeaseBytes, TimeSpan? revokeLimit = null)
    {
        var state = ContainerState.Create(kind, args) ?? throw new NotSupportedException($"'{kind}' is not a shared container.");
        var limit = revokeLimit ?? DefaultRevokeLimit;
        return Akka.Actor.Props.Create(() => new SharedContainerActor(kind, state, maxLeaseBytes, limit));
    }

    protected override IReply Handle(long callId, string method, byte[][] args) => _state.Handle(callId, method, args);

    protected override void PostStop() => _overdue?.Cancel();

    private void Serving()
    {
        Receive<Invoke>(invoke =>
        {
            if (!ContainerState.IsRead(_kind, invoke.Method) && Revoke(except: Sender))
            {
                // Applied once every other copy is gone.
                Stash.Stash();
                return;
            }

            Sender.Tell(Answer(invoke));
        });
        Receive<ReadLease>(request => Sender.Tell(Grant(request.CallId)));
        Receive<ReturnReadLease>(returned =>
        {
            _holders.Remove(Sender);
            Sender.Tell(new Done(returned.CallId));
        });
        Receive<Terminated>(terminated => Forget(terminated.ActorRef));

        // A confirmation from a holder that was already forgotten (gone, or gave the lease back).
        Receive<ReadRevoked>(_ => { });
    }

    private void Revoking()
    {
        Receive<ReadRevoked>(_ => Confirmed(Sender));
        Receive<ReturnReadLease>(returned =>
        {
            _holders.Remove(Sender);
            Sender.Tell(new Done(returned.CallId));
            Confirmed(Sender);
        });
        Receive<Terminated>(terminated =>
        {
            Forget(terminated.ActorRef);
            Confirmed(terminated.ActorRef);
        });
        Receive<RevokeOverdue>(_ =>
        {
            _log.Warning(
                "{0} process(es) holding a read lease on {1} did not confirm its revocation within {2}; the change goes ahead.",
                _awaiting.Count,
                Self.Path,
                _revokeLimit);
            foreach (var holder in _awaiting.ToList())
            {
                Forget(holder);
                Confirmed(holder);
            }
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private IReply Grant(long callId)
    {
        if (_state.EncodedSize > _maxLeaseBytes)
        {
            return new Done(callId);
        }

        if (_watched.Add(Sender))
        {
            Context.Watch(Sender);
        }

        _holders[Sender] = _epoch;
        return new LeaseGranted(callId, _epoch, _state.Snapshot());
    }

    /// <summary>Revokes every lease but <paramref name="except"/>'s; <see langword="false"/> when there is none.</summary>
    private bool Revoke(IActorRef except)
    {
        foreach (var holder in _holders.Keys)
        {
            if (!holder.Equals(except))
            {
                _awaiting.Add(holder);
            }
        }

        if (_awaiting.Count == 0)
        {
            return false;
        }

        foreach (var holder in _awaiting)
        {
            _holders.Remove(holder);
            holder.Tell(new ReadRevoke(_epoch), Self);
        }

        // Leases granted from now on are newer than every revoked one.
        _epoch++;
        _overdue = Context.System.Scheduler.ScheduleTellOnceCancelable(_revokeLimit, Self, RevokeOverdue.Instance, Self);
        Become(Revoking);
        return true;
    }

    private void Confirmed(IActorRef holder)
    {
        if (_awaiting.Remove(holder) && _awaiting.Count == 0)
        {
            _overdue?.Cancel();
            _overdue = null;
            Become(Serving);
            Stash.UnstashAll();
        }
    }

    private void Forget(IActorRef holder)
    {
        _holders.Remove(holder);
        _watched.Remove(holder);
    }

    private sealed class RevokeOverdue
    {
        public static readonly RevokeOverdue Instance = new();
    }
}

/// <summary>The kinds of object a manager creates.</summary>
internal static class ContainerKinds
{
    public const string Dict = "dict";
    public const string Namespace = "namespace";
    public const string List = "list";
    public const string Array = "array";
    public const string Value = "value";
    public const string Lock = "lock";
    public const string RLock = "rlock";
    public const string Semaphore = "semaphore";
    public const string BoundedSemaphore = "bounded-semaphore";
    public const string Custom = "custom";
    public const string Queue = "queue";
    public const string JoinableQueue = "joinable-queue";
    public const string Event = "event";
    public const string Condition = "condition";
    public const string Barrier = "barrier";
}
