using System.Security.Authentication;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Runtime;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Management;

/// <summary>
/// The guard in front of every manager object, with a second actor system in this process playing a remote client
/// over real Akka.Remote on loopback (M-10 target: a process that did not authenticate gets no access at all).
/// </summary>
public sealed class GuardActorTests : TestKit
{
    private static readonly Config Remote = ConfigurationFactory.ParseString(
        "akka.actor.provider = remote\nakka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }")
        .WithFallback(MultiprocessingRuntime.DefaultConfig().GetConfig("multiprocessing.runtime"))
        .WithFallback(MultiprocessingRuntime.DefaultConfig());

    private readonly ActorSystem _client;

    public GuardActorTests(ITestOutputHelper output)
        : base(Remote, "guard-server", output)
    {
        _client = ActorSystem.Create("guard-client", Remote);
    }

    protected override void AfterAll()
    {
        _client.Terminate().Wait(TimeSpan.FromSeconds(10));
        base.AfterAll();
    }

    [Fact]
    public async Task Guard_refuses_a_remote_process_that_has_not_authenticated_and_never_forwards_its_message()
    {
        var inner = CreateTestProbe();
        var guard = Sys.ActorOf(GuardActor.Props(Props.Create(() => new Forwarder(inner.Ref))), "guarded-dict");
        var remoteGuard = await ResolveFromClientAsync(guard);
        var clientProbe = new Akka.TestKit.TestProbe(_client, new Akka.TestKit.Xunit2.XunitAssertions());

        remoteGuard.Tell(new Invoke(17, "get", []), clientProbe.Ref);

        var failed = await clientProbe.ExpectMsgAsync<Failed>(TimeSpan.FromSeconds(10));
        Assert.Equal(17, failed.CallId);
        Assert.IsType<AuthenticationException>(failed.Error.ToException("test"));
        await inner.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Guard_forwards_with_the_original_sender_once_the_remote_process_is_allowed()
    {
        var inner = CreateTestProbe();
        var guard = Sys.ActorOf(GuardActor.Props(Props.Create(() => new Forwarder(inner.Ref))), "guarded-list");
        var remoteGuard = await ResolveFromClientAsync(guard);
        var clientProbe = new Akka.TestKit.TestProbe(_client, new Akka.TestKit.Xunit2.XunitAssertions());
        ManagerAccess.Allow(((ExtendedActorSystem)_client).Provider.DefaultAddress);

        remoteGuard.Tell(new Invoke(18, "count", []), clientProbe.Ref);

        var invoke = await inner.ExpectMsgAsync<Invoke>(TimeSpan.FromSeconds(10));
        Assert.Equal(18, invoke.CallId);
        Assert.Equal(((ExtendedActorSystem)_client).Provider.DefaultAddress, inner.LastSender.Path.Address);
    }

    private async Task<IActorRef> ResolveFromClientAsync(IActorRef local)
    {
        var address = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
        return await _client.ActorSelection(local.Path.ToStringWithAddress(address)).ResolveOne(TimeSpan.FromSeconds(10));
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(m => target.Forward(m));
    }
}
