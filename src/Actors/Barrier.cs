using System.Reflection;
using System.Runtime.ExceptionServices;
using Akka.Actor;
using Multiprocessing.Internal;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Sharing;
using Multiprocessing.Internal.Sync;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// A barrier shared by processes (Python's <c>multiprocessing.Barrier</c>): each of <see cref="Parties"/> parties
/// calls <see cref="Wait"/>, and all are released together once the last arrives, each with a distinct index (B-02);
/// then the barrier serves the next generation. A wait that times out breaks the barrier for everyone with
/// <see cref="BrokenBarrierException"/> (B-03), as do <see cref="Abort"/> (B-05), <see cref="Reset"/> for current
/// waiters (B-06), a failing action (B-07) and the death of a waiting party's process. It lives as an actor in the
/// process that created it and travels to <see cref="Process"/> children and <see cref="Pool"/> tasks as an argument.
/// Use <c>mp.Barrier</c>: <c>System.Threading.Barrier</c> has the same name.
/// </summary>
public sealed class Barrier : ISharedObject<Barrier>
{
    private readonly IActorRef _actor;
    private int? _parties;

    /// <summary>Creates a barrier for <paramref name="parties"/> parties.</summary>
    /// <param name="parties">How many parties each generation needs; at least 1 (B-01 target).</param>
    /// <param name="action">
    /// Run once per generation, by the last party to arrive, in that party's process, before any party is released
    /// (B-07): a static method or a lambda that captures nothing, taking no arguments. If it throws, that party gets
    /// its exception and the others <see cref="BrokenBarrierException"/>.
    /// </param>
    /// <param name="timeout">The default timeout of <see cref="Wait"/>; <see langword="null"/> waits forever (B-03).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parties"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="action"/> captures state or takes arguments.</exception>
    public Barrier(int parties, Delegate? action = null, TimeSpan? timeout = null)
    {
        if (parties < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parties), parties, "A barrier needs at least one party (B-01).");
        }

        var spec = action is null ? null : DelegateCall.Describe(action, [], nameof(action)).Spec;
        var timeoutMs = timeout is null ? -1 : SharedObjects.TimeoutMs(true, timeout);
        _actor = SharedObjects.Create(BarrierActor.Props(parties, timeoutMs, spec), "barrier");
        _parties = parties;
    }

    private Barrier(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>How many parties each generation needs (B-01).</summary>
    public int Parties => _parties ??= ReadState().Parties;

    /// <summary>How many parties are waiting in the current generation (Python's <c>n_waiting</c>).</summary>
    public int NWaiting => ReadState().Waiting;

    /// <summary>Whether the barrier is broken (B-01, B-05); it stays so until <see cref="Reset"/>.</summary>
    public bool Broken => ReadState().Broken;

    private string Origin => SharedObjects.Origin(_actor);

    /// <summary>Waits until every party has arrived (B-02); the barrier then serves the next generation.</summary>
    /// <param name="timeout">
    /// How long to wait; <see langword="null"/> uses the constructor's timeout (B-03); zero or negative does not wait.
    /// </param>
    /// <returns>This party's index in the generation, from 0 to <see cref="Parties"/> − 1, distinct per party.</returns>
    /// <exception cref="BrokenBarrierException">
    /// The barrier is broken, or broke while waiting: a timeout, an abort, a reset, a failed action, a dead party.
    /// </exception>
    public int Wait(TimeSpan? timeout = null)
    {
        var reply = WaitCallAsync(timeout, CancellationToken.None).GetAwaiter().GetResult();
        if (reply is BarrierProtocol.RunAction run)
        {
            var error = RunAction(run.Action);
            Caller.Check(Caller.Call(_actor, id => Report(id, run.Generation, error), "Barrier.Wait"), Origin);
            return Finish(run, error);
        }

        return Index(reply, CancellationToken.None);
    }

    /// <summary>The awaitable twin of <see cref="Wait"/>.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> uses the constructor's timeout.</param>
    /// <param name="cancellationToken">
    /// Stops waiting. Like a timeout, a cancelled wait breaks the barrier for the other parties.
    /// </param>
    /// <returns>This party's index in the generation.</returns>
    /// <exception cref="BrokenBarrierException">The barrier is broken, or broke while waiting.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the generation was released.</exception>
    public async Task<int> WaitAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var reply = await WaitCallAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (reply is BarrierProtocol.RunAction run)
        {
            var error = RunAction(run.Action);
            Caller.Check(
                await Caller.CallAsync(_actor, id => Report(id, run.Generation, error), "Barrier.Wait", CancellationToken.None)
                    .ConfigureAwait(false),
                Origin);
            return Finish(run, error);
        }

        return Index(reply, cancellationToken);
    }

    /// <summary>Breaks the barrier: current and later waits raise <see cref="BrokenBarrierException"/> until <see cref="Reset"/> (B-05).</summary>
    public void Abort() => AbortAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Abort"/>.</summary>
    /// <returns>A task that completes once the barrier is broken.</returns>
    public async Task AbortAsync() =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new BarrierProtocol.Abort(id), "Barrier.Abort", CancellationToken.None).ConfigureAwait(false),
            Origin);

    /// <summary>
    /// Returns the barrier to its initial state: current waiters get <see cref="BrokenBarrierException"/>, and the
    /// barrier is no longer broken (B-06).
    /// </summary>
    public void Reset() => ResetAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Reset"/>.</summary>
    /// <returns>A task that completes once the barrier is reset.</returns>
    public async Task ResetAsync() =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new BarrierProtocol.Reset(id), "Barrier.Reset", CancellationToken.None).ConfigureAwait(false),
            Origin);

    static Barrier ISharedObject<Barrier>.Attach(IActorRef actor) => new(actor);

    private Task<IReply> WaitCallAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long? timeoutMs = timeout is null ? null : SharedObjects.TimeoutMs(true, timeout);
        return Caller.CallAsync(_actor, id => new BarrierProtocol.Wait(id, timeoutMs), "Barrier.Wait", cancellationToken);
    }

    private int Index(IReply reply, CancellationToken cancellationToken)
    {
        if (reply is Failed && cancellationToken.IsCancellationRequested)
        {
            // The wait was withdrawn, which broke the barrier for the others.
            throw new OperationCanceledException("The barrier wait was cancelled; the barrier is broken.", cancellationToken);
        }

        return (int)((Number)Caller.Check(reply, Origin)).Value;
    }

    /// <summary>Runs the barrier action here (B-07); returns its exception, if any.</summary>
    private static Exception? RunAction(FunctionSpec action)
    {
        try
        {
            var (method, target) = action.Resolve();
            method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, parameters: null, culture: null);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static BarrierProtocol.ActionDone Report(long callId, long generation, Exception? error) =>
        new(callId, generation, error is null ? null : RemoteError.From(error));

    private static int Finish(BarrierProtocol.RunAction run, Exception? error)
    {
        if (error is not null)
        {
            // B-07: the party that ran the action gets the action's own exception.
            ExceptionDispatchInfo.Throw(error);
        }

        return run.Index;
    }

    private BarrierProtocol.State ReadState() =>
        (BarrierProtocol.State)Caller.Check(Caller.Call(_actor, id => new BarrierProtocol.GetState(id), "Barrier.State"), Origin);
}
