using MessagePack;
using Multiprocessing.Internal.Functions;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Sync;

/// <summary>Requests to a Barrier actor (Python's <c>multiprocessing.Barrier</c>) and its own replies.</summary>
internal static class BarrierProtocol
{
    /// <summary>Wire manifests of these messages (see ProtocolTypes).</summary>
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        (typeof(Wait), "s21"),
        (typeof(RunAction), "s22"),
        (typeof(ActionDone), "s23"),
        (typeof(Abort), "s24"),
        (typeof(Reset), "s25"),
        (typeof(GetState), "s26"),
        (typeof(State), "s27"),
    ];

    /// <summary>
    /// Arrive at the barrier. <paramref name="TimeoutMs"/>: null uses the barrier's default, -1 waits forever, 0 does
    /// not wait. Answered with <see cref="Number"/> (the party's index, B-02), <see cref="RunAction"/> (the last party of
    /// a barrier with an action, B-07) or <see cref="Failed"/> with a <c>BrokenBarrierException</c> (B-03, B-04). A
    /// withdrawn (<see cref="Cancel"/>) parked wait breaks the barrier like a timeout; a withdrawn wait that had not
    /// reached the barrier yet (it arrived while the action ran) is answered <see cref="Withdrawn"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Wait([property: Key(0)] long CallId, [property: Key(1)] long? TimeoutMs) : IRequest;

    /// <summary>
    /// The reply to the last party's <see cref="Wait"/> when the barrier has an action: run it, then report with
    /// <see cref="ActionDone"/>. The other parties stay parked until then.
    /// </summary>
    [MessagePackObject]
    public sealed record RunAction(
        [property: Key(0)] long CallId,
        [property: Key(1)] int Index,
        [property: Key(2)] long Generation,
        [property: Key(3)] FunctionSpec Action) : IReply;

    /// <summary>
    /// The action of <paramref name="Generation"/> ran; <paramref name="Error"/> is its exception, if any. Success
    /// releases the parked parties; failure breaks the barrier (B-07). Answered with <see cref="Done"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record ActionDone(
        [property: Key(0)] long CallId,
        [property: Key(1)] long Generation,
        [property: Key(2)] RemoteError? Error) : IRequest;

    /// <summary>Break the barrier until <see cref="Reset"/> (B-05). Answered with <see cref="Done"/>.</summary>
    [MessagePackObject]
    public sealed record Abort([property: Key(0)] long CallId) : IRequest;

    /// <summary>Break the current waiters and make the barrier usable again (B-06). Answered with <see cref="Done"/>.</summary>
    [MessagePackObject]
    public sealed record Reset([property: Key(0)] long CallId) : IRequest;

    /// <summary>Read the state. Answered with <see cref="State"/>.</summary>
    [MessagePackObject]
    public sealed record GetState([property: Key(0)] long CallId) : IRequest;

    /// <summary>The barrier's parties, parked parties and whether it is broken (B-01).</summary>
    [MessagePackObject]
    public sealed record State(
        [property: Key(0)] long CallId,
        [property: Key(1)] int Parties,
        [property: Key(2)] int Waiting,
        [property: Key(3)] bool Broken) : IReply;
}
