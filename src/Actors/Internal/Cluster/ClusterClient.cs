using Akka.Actor;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Cluster.ClusterProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Cluster;

/// <summary>
/// A client's link to a host (<c>Pool.Connect</c>): proves the authkey to the host, asks the coordinator for the
/// cluster's capacity, and serves this app's files to worker nodes that lack them.
/// </summary>
internal static class ClusterClient
{
    private static readonly Lazy<string> AppServer = new(() =>
    {
        var system = MultiprocessingRuntime.System;
        var server = system.ActorOf(AppServerActor.Props(AppContext.BaseDirectory, AppManifest.Current), AppServerActor.Name);
        return server.Path.ToStringWithAddress(MultiprocessingRuntime.Address);
    });

    /// <summary>Attaches to the host at <paramref name="host"/>; returns the launcher for a pool and the cluster's capacity.</summary>
    public static async Task<(ClusterWorkerLauncher Launcher, int Capacity)> AttachAsync(
        string host, byte[] authkey, CancellationToken cancellationToken)
    {
        var (hostname, port) = Manager.ParseAddress(host);
        Manager.CheckKey(authkey);
        var system = MultiprocessingRuntime.System;
        var settings = ClusterSettings.Create(MultiprocessingRuntime.Config);
        var address = MultiprocessingRuntime.RemoteAddress(hostname, port);
        KeyRing.Add(address, authkey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.AttachTimeout);
        var handshake = KeyRing.ProveAsync(address);
        if (await Task.WhenAny(handshake, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false) != handshake)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ClusterUnavailableException(
                $"No host answered at {host} within {settings.AttachTimeout.TotalSeconds:0.#} s. Start one with `mp host`, and check " +
                "the address, the TLS settings and multiprocessing.cluster.attach-timeout.");
        }

        try
        {
            await handshake.ConfigureAwait(false);
        }
        catch (RemoteObjectUnavailableException ex)
        {
            throw new ClusterUnavailableException($"No host answered at {host}: {ex.Message} Start one with `mp host`.");
        }

        var coordinator = ((ExtendedActorSystem)system).Provider.ResolveActorRef($"{address}/user/{CoordinatorActor.Name}");
        IReply reply;
        try
        {
            reply = await Caller.CallAsync(coordinator, id => new Attach(id), "Pool.Connect", timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnavailableException($"The host at {host} did not answer within {settings.AttachTimeout.TotalSeconds:0.#} s.");
        }

        var attached = (Attached)Caller.Check(reply, $"host {host}");
        return (new ClusterWorkerLauncher(coordinator, AppManifest.Current, AppServer.Value), attached.Capacity);
    }
}

/// <summary>Starts a pool's workers on the cluster's worker nodes, through the host's coordinator.</summary>
internal sealed class ClusterWorkerLauncher(IActorRef coordinator, IReadOnlyList<AppFile> app, string appServerPath) : IWorkerLauncher
{
    public IActorRef Coordinator => coordinator;

    public IActorRef? Lifeline => coordinator;

    public IWorkerHandle Start(int workerId, string poolPath, string token, IActorRef pool)
    {
        coordinator.Tell(new StartWorker(workerId, poolPath, token, app, appServerPath), pool);
        return new Handle(pool, poolPath, workerId);
    }

    /// <summary>A worker process on a node: known once the node reports it started.</summary>
    private sealed class Handle(IActorRef pool, string poolPath, int workerId) : IRemoteWorkerHandle
    {
        private IActorRef? _node;
        private bool _killRequested;
        private string _error = string.Empty;

        public int Pid { get; private set; }

        public string? Node { get; private set; }

        public string StderrTail => _error;

        public void Launched(IActorRef node, int pid, string nodeName)
        {
            _node = node;
            Pid = pid;
            Node = nodeName;
            if (_killRequested)
            {
                Kill();
            }
        }

        public void Failed(string error) => _error = error;

        public void Stop() => Send(kill: false);

        public void Kill() => Send(kill: true);

        private void Send(bool kill)
        {
            if (_node is null)
            {
                // Not started yet: the kill goes out when the node reports the process.
                _killRequested = true;
                return;
            }

            _node.Tell(new StopWorkerProcess(poolPath, workerId, kill), pool);
        }
    }
}
