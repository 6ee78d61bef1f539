using Akka.Configuration;
using Multiprocessing.Internal.Runtime;
using Xunit.Abstractions;

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
}
