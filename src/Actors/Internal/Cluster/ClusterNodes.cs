using System.Security.Authentication;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Cluster.ClusterProtocol;

namespace Multiprocessing.Internal.Cluster;

/// <summary>A running host or worker node: its address and its actor system's end.</summary>
internal sealed record RunningNode(ActorSystem System, Address Address);

/// <summary>
/// Starts the nodes of <c>mp host</c> and <c>mp worker</c> in this process, and asks a host for its status. The
/// process's actor system is the node (cluster provider from the layered configuration).
/// </summary>
internal static class ClusterNodes
{
    /// <summary>
    /// The host: cluster seed (joins itself), the coordinator, and the manager service (<c>Manager.Connect</c> and the
    /// authkey handshake of nodes and clients).
    /// </summary>
    public static RunningNode StartHost(Config config, byte[] authkey)
    {
        var system = MultiprocessingRuntime.Initialize(config);
        var address = MultiprocessingRuntime.Address;
        ManagerAccess.Configure(authkey, address);
        system.ActorOf(ManagerActor.Props(), ManagerPath.Name);
        system.ActorOf(CoordinatorActor.Props(ClusterSettings.Create(system.Settings.Config)), CoordinatorActor.Name);
        Akka.Cluster.Cluster.Get(system).Join(address);
        return new RunningNode(system, address);
    }

    /// <summary>
    /// A worker node: proves the authkey to the host, joins its cluster and starts the node agent once it is up.
    /// </summary>
    /// <exception cref="AuthenticationException">The host refused the key.</exception>
    /// <exception cref="ClusterUnavailableException">No host answered, or joining took too long.</exception>
    public static async Task<RunningNode> StartWorkerAsync(
        Config config, string join, byte[] authkey, int processes, string? app, CancellationToken cancellationToken)
    {
        var (hostname, port) = Manager.ParseAddress(join);
        var system = MultiprocessingRuntime.Initialize(config);
        var settings = ClusterSettings.Create(system.Settings.Config);
        var host = MultiprocessingRuntime.RemoteAddress(hostname, port);
        KeyRing.Add(host, authkey);
        var handshake = KeyRing.ProveAsync(host);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.AttachTimeout);
        if (await Task.WhenAny(handshake, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false) != handshake)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ClusterUnavailableException($"No host answered at {join} within {settings.AttachTimeout.TotalSeconds:0.#} s.");
        }

        await handshake.ConfigureAwait(false);
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await cluster.JoinSeedNodesAsync([host], timeout.Token).ConfigureAwait(false);
        if (await Task.WhenAny(up.Task, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false) != up.Task)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ClusterUnavailableException($"This node did not become a member of the cluster at {join} in time.");
        }

        var self = MultiprocessingRuntime.Address;
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new NodeOptions(processes, app, self.Host ?? hostname, ChildOverrides(system.Settings.Config), registered);
        system.ActorOf(NodeAgentActor.Props(options, settings, host), NodeAgentActor.Name);

        // Ready means clients can use this node's processes: the coordinator has taken its offer.
        if (await Task.WhenAny(registered.Task, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false) != registered.Task)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ClusterUnavailableException($"The host at {join} did not take this node's offer in time.");
        }

        return new RunningNode(system, self);
    }

    /// <summary>Asks the host at <paramref name="host"/> for the cluster's status (this process is a plain client).</summary>
    public static async Task<ClusterStatus> StatusAsync(string host, byte[] authkey, CancellationToken cancellationToken)
    {
        var (hostname, port) = Manager.ParseAddress(host);
        var system = MultiprocessingRuntime.System;
        var settings = ClusterSettings.Create(system.Settings.Config);
        var address = MultiprocessingRuntime.RemoteAddress(hostname, port);
        KeyRing.Add(address, authkey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.AttachTimeout + settings.StatusTimeout);
        var coordinator = ((ExtendedActorSystem)system).Provider.ResolveActorRef($"{address}/user/{CoordinatorActor.Name}");
        try
        {
            var reply = await Caller.CallAsync(coordinator, id => new StatusRequest(id), "mp status", timeout.Token).ConfigureAwait(false);
            return ((StatusReport)Caller.Check(reply, $"host {host}")).Status;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnavailableException($"The host at {host} did not answer in time.");
        }
    }

    /// <summary>The runtime settings worker processes of a node share with it: its bind address and TLS.</summary>
    public static string ChildOverrides(Config config)
    {
        var tcp = "akka.remote.dot-netty.tcp";
        var lines = new List<string>
        {
            $"{tcp}.hostname = \"{config.GetString($"{tcp}.hostname")}\"",
            $"{MultiprocessingRuntime.LogLevelKey} = {config.GetString(MultiprocessingRuntime.LogLevelKey)}",
        };
        var publicHost = config.GetString($"{tcp}.public-hostname", string.Empty);
        if (!string.IsNullOrEmpty(publicHost))
        {
            lines.Add($"{tcp}.public-hostname = \"{publicHost}\"");
        }

        if (config.GetBoolean($"{tcp}.enable-ssl"))
        {
            lines.Add($"{tcp}.enable-ssl = on");
            lines.Add($"{tcp}.ssl = {Render(config.GetConfig($"{tcp}.ssl").Root)}");
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>HOCON text of a configuration value that reads back the same (keys and strings quoted).</summary>
    public static string Render(HoconValue value)
    {
        if (value.IsObject())
        {
            return "{" + Environment.NewLine
                + string.Concat(value.GetObject().Items.Select(kv => $"{JsonSerializer.Serialize(kv.Key)} = {Render(kv.Value)}{Environment.NewLine}"))
                + "}";
        }

        return value.IsArray()
            ? "[" + string.Join(", ", value.GetArray().Select(Render)) + "]"
            : JsonSerializer.Serialize(value.GetString());
    }
}
