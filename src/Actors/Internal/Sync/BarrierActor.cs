using Akka.Actor;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Sharing.CallProtocol;
using static Multiprocessing.Internal.Sync.BarrierProtocol;

namespace Multiprocessing.Internal.Sync;

/// <summary>
/// Python's <c>Barrier</c> as an actor. Parties arrive with <see cref="Wait"/> and get their arrival index (B-02);
/// the last one releases the generation. With an action, the last party is told to run it (<see cref="RunAction"/>)
/// and the others stay parked until it reports success (released) or failure (broken, B-07); arrivals, aborts and
/// resets during the action are handled after it, as Python's lock makes them wait. A wait that times out, a party
/// that withdraws its wait and a parked party whose process dies break the barrier for everyone (B-03); a broken
/// barrier refuses waits at once (B-04) until <see cref="Reset"/> (B-05, B-06).
/// </summary>
internal sealed class BarrierActor : ReceiveActor, IWithTimers
{
    private readonly int _parties;
    private readonly long _defaultTimeoutMs;
    private readonly FunctionSpec? _action;

    /// <summary>Parked parties; the payload is each one's index.</summary>
    private readonly WaiterQueue _waiters = new();

    /// <summary>Requests that arrived while the action ran, handled in order after it.</summary>
    private readonly List<(IActorRef Sender, IRequest Request)> _deferred = [];

    private readonly HashSet<IActorRef> _watched = [];
    private int _count;
    private long _generation;
    private bool _broken;
    private IActorRef? _runner;

    public BarrierActor(int parties, long defaultTimeoutMs, FunctionSpec? action)
    {
        _parties = parties;
        _defaultTimeoutMs = defaultTimeoutMs;
        _action = action;
        Receive<Wait>(m => OnWait(Sender, m));
        Receive<ActionDone>(OnActionDone);
        Receive<Abort>(m => OnAbort(Sender, m));
        Receive<Reset>(m => OnReset(Sender, m));
        Receive<GetState>(m => Sender.Tell(new State(m.CallId, _parties, _waiters.Count, _broken)));
        Receive<Cancel>(m => OnWithdrawn(Sender, m.CallId));
        Receive<WaitExpired>(OnExpired);
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="parties">How many parties each generation needs (at least 1).</param>
    /// <param name="defaultTimeoutMs">The timeout of a wait that gives none: -1 forever, 0 do not wait.</param>
    /// <param name="action">Run by the last party of each generation before any is released, or null.</param>
    public static Props Props(int parties, long defaultTimeoutMs, FunctionSpec? action) =>
        Akka.Actor.Props.Create(() => new BarrierActor(parties, defaultTimeoutMs, action));

    private void OnWait(IActorRef sender, Wait wait)
    {
        if (_runner is not null)
        {
            _deferred.Add((sender, wait));
            return;
        }

        if (_broken)
        {
            sender.Tell(Broken(wait.CallId, "The barrier is broken; reset it before waiting again (B-04)."));
            return;
        }

        var index = _count++;
        Watch(sender);
        if (_count == _parties)
        {
            if (_action is not null)
            {
                // B-07: one party runs the action before any is released; the others stay parked until it reports.
                _runner = sender;
                sender.Tell(new RunAction(wait.CallId, index, _generation, _action));
                return;
            }

            sender.Tell(new Number(wait.CallId, index));
            ReleaseGeneration();
            return;
        }

        var waiter = new Waiter(sender, wait.CallId, 0, index);
        _waiters.Add(waiter);
        var timeoutMs = wait.TimeoutMs ?? _defaultTimeoutMs;
        if (timeoutMs == 0)
        {
            Break("A party's wait did not allow any waiting and the barrier was not complete (B-03).");
        }
        else if (timeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(sender, wait.CallId), TimeSpan.FromMilliseconds(timeoutMs));
        }
    }

    private void OnActionDone(ActionDone done)
    {
        Sender.Tell(new Done(done.CallId));
        if (_runner is null || !Equals(_runner, Sender) || done.Generation != _generation)
        {
            return;
        }

        _runner = null;
        if (done.Error is null)
        {
            ReleaseGeneration();
        }
        else
        {
            Break($"The barrier action failed with {done.Error.TypeName.Split(',')[0]}: {done.Error.Message} (B-07).");
        }

        ReplayDeferred();
    }

    private void OnAbort(IActorRef sender, Abort abort)
    {
        if (_runner is not null)
        {
            _deferred.Add((sender, abort));
            return;
        }

        Break("The barrier was aborted (B-05).");
        sender.Tell(new Done(abort.CallId));
    }

    private void OnReset(IActorRef sender, Reset reset)
    {
        if (_runner is not null)
        {
            _deferred.Add((sender, reset));
            return;
        }

        // B-06: the current waiters are broken out; the barrier itself is usable again.
        FailWaiters("The barrier was reset while this party waited (B-06).");
        _broken = false;
        sender.Tell(new Done(reset.CallId));
    }

    /// <summary>
    /// A party stopped waiting (its caller cancelled): like a timeout, it breaks the barrier for everyone. Every
    /// withdrawn request that was still parked or deferred is answered, so its caller never waits for nothing.
    /// </summary>
    private void OnWithdrawn(IActorRef sender, long callId)
    {
        if (_deferred.RemoveAll(d => Equals(d.Sender, sender) && d.Request.CallId == callId) > 0)
        {
            // It never reached the barrier: nothing happened.
            sender.Tell(new Withdrawn(callId));
            return;
        }

        if (_waiters.All.Any(w => Equals(w.Caller, sender) && w.CallId == callId))
        {
            if (_runner is not null)
            {
                // The generation is being released: only this party leaves.
                var waiter = _waiters.Remove((sender, callId))!;
                Timers.Cancel(waiter.Key);
                sender.Tell(Broken(callId, "This party stopped waiting while the barrier action ran."));
                return;
            }

            Break("A party stopped waiting (its wait was cancelled) before the barrier was complete.");
        }
    }

    private void OnExpired(WaitExpired expired)
    {
        // While the action runs, the generation is about to be released: as in Python, a timeout then does not break.
        if (_runner is null && _waiters.All.Any(w => Equals(w.Caller, expired.Caller) && w.CallId == expired.CallId))
        {
            Break("A party's wait timed out before the barrier was complete (B-03).");
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        var dead = terminated.ActorRef;
        _watched.Remove(dead);
        _deferred.RemoveAll(d => Equals(d.Sender, dead));
        if (Equals(_runner, dead))
        {
            _runner = null;
            Break($"The process running the barrier action ({dead.Path.Address}) died (B-07).");
            ReplayDeferred();
            return;
        }

        if (_waiters.All.Any(w => Equals(w.Caller, dead)))
        {
            if (_runner is not null)
            {
                foreach (var waiter in _waiters.RemoveAll(dead))
                {
                    Timers.Cancel(waiter.Key);
                }

                return;
            }

            foreach (var waiter in _waiters.RemoveAll(dead))
            {
                Timers.Cancel(waiter.Key);
            }

            Break($"The process of a waiting party ({dead.Path.Address}) died.");
        }
    }

    /// <summary>Every parked party gets its index; the next generation starts.</summary>
    private void ReleaseGeneration()
    {
        while (_waiters.TakeFirst() is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            waiter.Caller.Tell(new Number(waiter.CallId, (int)waiter.Payload!));
        }

        _count = 0;
        _generation++;
    }

    /// <summary>B-03, B-05: the barrier stays broken until reset; every parked party gets BrokenBarrierException.</summary>
    private void Break(string reason)
    {
        _broken = true;
        FailWaiters(reason);
    }

    private void FailWaiters(string reason)
    {
        while (_waiters.TakeFirst() is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            waiter.Caller.Tell(Broken(waiter.CallId, reason));
        }

        _count = 0;
        _generation++;
    }

    private void ReplayDeferred()
    {
        var deferred = _deferred.ToList();
        _deferred.Clear();
        foreach (var (sender, request) in deferred)
        {
            switch (request)
            {
                case Wait wait:
                    OnWait(sender, wait);
                    break;
                case Abort abort:
                    OnAbort(sender, abort);
                    break;
                case Reset reset:
                    OnReset(sender, reset);
                    break;
            }
        }
    }

    private void Watch(IActorRef caller)
    {
        if (_watched.Add(caller))
        {
            Context.Watch(caller);
        }
    }

    private static Failed Broken(long callId, string reason) =>
        new(callId, RemoteError.From(new BrokenBarrierException(reason)));
}
