using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Multiprocessing.Internal.Runtime;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Locks.LockProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.TestSupport;

/// <summary>
/// The base of the single-actor tests: an Akka TestKit on the library's reference configuration, the waits they share,
/// and call ids unique across the test run (probes stand in for callers' processes).
/// </summary>
public abstract class ActorTestKit : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>A request timeout that waits forever.</summary>
    protected const long Forever = -1;

    /// <summary>A request timeout that does not wait.</summary>
    protected const long NoWait = 0;

    /// <summary>How long an expected reply may take.</summary>
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>How long to listen for a reply that must not come.</summary>
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private static long _callIds;

    protected ActorTestKit(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(MultiprocessingRuntime.DefaultConfig()), null, output)
    {
    }

    /// <summary>A call id no other request of the test run uses.</summary>
    protected static long NextCallId() => Interlocked.Increment(ref _callIds);

    /// <summary>Sends <paramref name="request"/> with a fresh call id from <paramref name="caller"/>; returns the id.</summary>
    protected static long Send(TestProbe caller, IActorRef target, Func<long, object> request)
    {
        var id = NextCallId();
        caller.Send(target, request(id));
        return id;
    }

    /// <summary>Sends a request and returns its reply, checking that the reply answers that call.</summary>
    private protected static async Task<TReply> CallAsync<TReply>(TestProbe caller, IActorRef target, Func<long, object> request)
        where TReply : IReply
    {
        var id = Send(caller, target, request);
        var reply = await caller.ExpectMsgAsync<TReply>(Wait);
        Assert.Equal(id, reply.CallId);
        return reply;
    }

    /// <summary>A lock-protocol acquire by <paramref name="thread"/> of the caller's process, answered with its flag.</summary>
    private protected static Task<Flag> AcquireAsync(TestProbe caller, IActorRef target, long thread, long timeoutMs) =>
        CallAsync<Flag>(caller, target, id => new Acquire(id, thread, timeoutMs));

    /// <summary>A lock-protocol release by <paramref name="thread"/>, which must succeed.</summary>
    private protected static Task<Done> ReleaseAsync(TestProbe caller, IActorRef target, long thread) =>
        CallAsync<Done>(caller, target, id => new Release(id, thread));

    /// <summary>The actor's <c>GetValue</c> (depth, count), asked by a probe of its own.</summary>
    protected async Task<long> ValueOfAsync(IActorRef target) =>
        (await CallAsync<Number>(CreateTestProbe(), target, id => new GetValue(id))).Value;
}
