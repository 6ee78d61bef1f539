using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Cluster.ClusterProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Cluster;

/// <summary>
/// The host's coordinator (<c>mp host</c>): knows the worker nodes and their capacity, places clients' worker
/// processes on them (fewest running per offered slot first), and answers <c>mp status</c>. Only processes that proved
/// the cluster's authkey (the handshake with the host's manager service) are served; a member that joined without it
/// is downed.
/// </summary>
internal sealed class CoordinatorActor : ReceiveActor
{
    public const string Name = "coordinator";
    private readonly ClusterSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<Address, Node> _nodes = [];
    private readonly Dictionary<IActorRef, string> _pools = [];
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    public CoordinatorActor(ClusterSettings settings)
    {
        _settings = settings;
        Receive<ClusterEvent.MemberJoined>(m => CheckMember(m.Member));
        Receive<ClusterEvent.MemberUp>(m => CheckMember(m.Member));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members)
            {
                CheckMember(member);
            }
        });
        Receive<Cancel>(_ => { });
        Receive<Terminated>(OnTerminated);
        ReceiveAny(message =>
        {
            if (!ManagerAccess.IsAllowed(Sender))
            {
                ManagerAccess.Refuse(message, Sender, _log);
                return;
            }

            Handle(message);
        });
    }

    public static Props Props(ClusterSettings settings) => Akka.Actor.Props.Create(() => new CoordinatorActor(settings));

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void Handle(object message)
    {
        switch (message)
        {
            case NodeRegister register:
                OnNodeRegister(register);
                break;
            case NodeLoad load when _nodes.TryGetValue(Sender.Path.Address, out var node):
                node.Running = load.Running;
                if (load.EndedPool is { } pool)
                {
                    node.Assigned.Remove((pool, load.EndedWorker));
                }

                break;
            case Attach attach:
                Sender.Tell(new Attached(attach.CallId, _nodes.Values.Sum(n => n.Capacity), _nodes.Count));
                break;
            case PoolAttached attached:
                _pools[Sender] = attached.Client;
                Context.Watch(Sender);
                break;
            case StartWorker start:
                OnStartWorker(start);
                break;
            case StatusRequest request:
                OnStatus(request);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void CheckMember(Member member)
    {
        var address = member.Address;
        if (address == _cluster.SelfAddress || member.Status is MemberStatus.Down or MemberStatus.Removed or MemberStatus.Exiting)
        {
            return;
        }

        if (!ManagerAccess.IsAllowed(address))
        {
            _log.Warning("Refused node {0}: it joined without proving the cluster's authkey; downing it.", address);
            _cluster.Down(address);
        }
    }

    private void OnNodeRegister(NodeRegister register)
    {
        var address = Sender.Path.Address;
        if (!_nodes.ContainsKey(address))
        {
            _log.Info("Worker node {0} ({1}, pid {2}) offers {3} worker processes.", address, register.Hostname, register.Pid, register.Capacity);
            Context.Watch(Sender);
        }

        _nodes[address] = new Node(Sender, register) { Running = _nodes.GetValueOrDefault(address)?.Running ?? 0 };
        Sender.Tell(new Attached(0, register.Capacity, _nodes.Count));
    }

    private void OnTerminated(Terminated terminated)
    {
        var address = terminated.ActorRef.Path.Address;
        if (_nodes.TryGetValue(address, out var node) && Equals(node.Agent, terminated.ActorRef))
        {
            _nodes.Remove(address);
            _log.Warning("Worker node {0} left the cluster; its worker processes are gone with it.", address);

            // Its processes exit with it (stdin lifeline). Their pools hear it now, including starts it never answered.
            foreach (var ((_, workerId), (pool, token)) in node.Assigned)
            {
                pool.Tell(new WorkerProcessExited(workerId, token, -1, $"its worker node {address} left the cluster", Fatal: false));
            }
        }

        _pools.Remove(terminated.ActorRef);
    }

    private void OnStartWorker(StartWorker start)
    {
        var node = _nodes.Values
            .OrderBy(n => (double)n.Running / Math.Max(1, n.Register.Capacity))
            .ThenBy(n => n.Running)
            .FirstOrDefault();
        if (node is null)
        {
            Sender.Tell(new WorkerProcessExited(
                start.WorkerId,
                start.Token,
                -1,
                "the cluster has no worker nodes: start one with `mp worker --join <host:port>`",
                Fatal: false));
            return;
        }

        // Counted at once, so a burst of starts spreads over the nodes before their load reports arrive.
        node.Running++;
        node.Assigned[(start.PoolPath, start.WorkerId)] = (Sender, start.Token);
        node.Agent.Tell(start, Self);
    }

    private void OnStatus(StatusRequest request)
    {
        var replyTo = Sender;
        var timeout = _settings.StatusTimeout;
        var nodes = _nodes.Values.Select(n => AskAsync<NodeStatusReport>(n.Agent, id => new NodeStatusRequest(id), timeout)).ToList();
        var pools = _pools.Keys.Select(p => AskAsync<PoolStatsReport>(p, id => new PoolStatsRequest(id), timeout)).ToList();
        var members = _cluster.State.Members
            .Select(m => new MemberInfo(
                m.Address.ToString(),
                m.Status.ToString(),
                m.Roles.Order(StringComparer.Ordinal).ToList(),
                !_cluster.State.Unreachable.Contains(m)))
            .ToList();
        var host = _cluster.SelfAddress.ToString();
        Task.WhenAll(Task.WhenAll(nodes), Task.WhenAll(pools)).ContinueWith(
            _ => new StatusReport(
                request.CallId,
                new ClusterStatus(
                    host,
                    members,
                    nodes.Where(t => t.IsCompletedSuccessfully && t.Result is not null).Select(t => t.Result!.Status).ToList(),
                    pools.Where(t => t.IsCompletedSuccessfully && t.Result is not null).Select(t => t.Result!.Stats).ToList())),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).PipeTo(replyTo);
    }

    private static async Task<T?> AskAsync<T>(IActorRef target, Func<long, IRequest> request, TimeSpan timeout)
        where T : class, IReply
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await Caller.SendAsync(target, request, "status", cts.Token).ConfigureAwait(false) as T;
        }
        catch (Exception)
        {
            // A node or pool that does not answer in time is left out of this status.
            return null;
        }
    }

    private sealed class Node(IActorRef agent, NodeRegister register)
    {
        public IActorRef Agent { get; } = agent;

        public NodeRegister Register { get; } = register;

        public int Capacity => Register.Capacity;

        public int Running { get; set; }

        /// <summary>Worker processes placed on this node and not yet reported ended: their pools and tokens.</summary>
        public Dictionary<(string PoolPath, int WorkerId), (IActorRef Pool, string Token)> Assigned { get; } = [];
    }
}
