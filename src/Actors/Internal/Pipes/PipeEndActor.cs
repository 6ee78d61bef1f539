using Akka.Actor;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Pipes.PipeProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Pipes;

/// <summary>
/// One end of a pipe: the inbox of values sent by the other end, in the process that created the pipe. A send goes
/// through the sender's own end, which checks that it may send and forwards the value to the other end. When an end
/// is closed (by <see cref="Close"/>, or because a process that received it died), the other end's receivers get
/// every buffered value and then EOF, and its senders get a broken-pipe error.
/// </summary>
internal sealed class PipeEndActor : ReceiveActor, IWithTimers
{
    private readonly bool _canSend;
    private readonly bool _canReceive;
    private readonly System.Collections.Generic.Queue<byte[]> _inbox = new();

    /// <summary>Parked <see cref="Recv"/> (payload null) and <see cref="Poll"/> (payload <see cref="PollMark"/>) requests.</summary>
    private readonly WaiterQueue _waiters = new();

    /// <summary>Processes that received this end; if one dies, the end closes.</summary>
    private readonly HashSet<IActorRef> _users = [];

    private IActorRef _peer = ActorRefs.Nobody;
    private string? _closedBecause;
    private bool _peerClosed;

    public PipeEndActor(bool canSend, bool canReceive)
    {
        _canSend = canSend;
        _canReceive = canReceive;
        Receive<Pair>(m => _peer = m.Peer);
        Receive<Send>(OnSend);
        Receive<Recv>(OnRecv);
        Receive<Poll>(OnPoll);
        Receive<Close>(m =>
        {
            CloseEnd("This end of the pipe was closed (Close()).");
            Sender.Tell(new Done(m.CallId));
        });
        Receive<Attach>(_ =>
        {
            if (_users.Add(Sender))
            {
                Context.Watch(Sender);
            }
        });
        Receive<Deliver>(OnDeliver);
        Receive<PeerClosed>(_ => OnPeerClosed());
        Receive<Cancel>(m => Expire(Sender, m.CallId, withdrawn: true));
        Receive<WaitExpired>(m => Expire(m.Caller, m.CallId, withdrawn: false));
        Receive<Terminated>(OnTerminated);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private bool Closed => _closedBecause is not null;

    public static Props Props(bool canSend, bool canReceive) =>
        Akka.Actor.Props.Create(() => new PipeEndActor(canSend, canReceive));

    private void OnSend(Send send)
    {
        if (Refuse(send.CallId, _canSend, "This connection only receives: with duplex=false the second connection sends."))
        {
            return;
        }

        if (_peerClosed)
        {
            Sender.Tell(new Failed(send.CallId, RemoteError.From(new IOException(
                "The other end of the pipe is closed (Python's BrokenPipeError)."))));
            return;
        }

        _peer.Tell(new Deliver(send.Value));
        Sender.Tell(new Done(send.CallId));
    }

    private void OnRecv(Recv recv)
    {
        if (Refuse(recv.CallId, _canReceive, "This connection only sends: with duplex=false the first connection receives."))
        {
            return;
        }

        if (_inbox.TryDequeue(out var value))
        {
            Sender.Tell(new Data(recv.CallId, value));
        }
        else if (_peerClosed)
        {
            Sender.Tell(EndOfStream(recv.CallId));
        }
        else
        {
            _waiters.Add(new Waiter(Sender, recv.CallId, 0));
        }
    }

    private void OnPoll(Poll poll)
    {
        if (Refuse(poll.CallId, _canReceive, "This connection only sends: with duplex=false the first connection receives."))
        {
            return;
        }

        if (_inbox.Count > 0 || _peerClosed || poll.TimeoutMs == 0)
        {
            Sender.Tell(new Flag(poll.CallId, _inbox.Count > 0 || _peerClosed, false));
            return;
        }

        var waiter = new Waiter(Sender, poll.CallId, 0, PollMark.Instance);
        _waiters.Add(waiter);
        if (poll.TimeoutMs > 0)
        {
            Timers.StartSingleTimer(waiter.Key, new WaitExpired(Sender, poll.CallId), TimeSpan.FromMilliseconds(poll.TimeoutMs));
        }
    }

    private void OnDeliver(Deliver deliver)
    {
        if (Closed)
        {
            return;
        }

        WakePolls();
        if (_waiters.TakeFirst() is { } receiver)
        {
            receiver.Caller.Tell(new Data(receiver.CallId, deliver.Value));
        }
        else
        {
            _inbox.Enqueue(deliver.Value);
        }
    }

    private void OnPeerClosed()
    {
        _peerClosed = true;
        if (Closed || _inbox.Count > 0)
        {
            return;
        }

        WakePolls();
        while (_waiters.TakeFirst() is { } receiver)
        {
            receiver.Caller.Tell(EndOfStream(receiver.CallId));
        }
    }

    /// <summary>A poll's timeout (answered false) or a withdrawn request (answered <see cref="Withdrawn"/>: nothing was taken).</summary>
    private void Expire(IActorRef caller, long callId, bool withdrawn)
    {
        if (_waiters.Remove((caller, callId)) is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            caller.Tell(withdrawn ? new Withdrawn(callId) : new Flag(callId, false, false));
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        if (_users.Remove(terminated.ActorRef))
        {
            foreach (var waiter in _waiters.RemoveAll(terminated.ActorRef))
            {
                Timers.Cancel(waiter.Key);
            }

            CloseEnd($"This end of the pipe was closed because the process using it ({terminated.ActorRef.Path.Address}) died.");
        }
    }

    private void CloseEnd(string because)
    {
        if (Closed)
        {
            return;
        }

        _closedBecause = because;
        _inbox.Clear();
        while (_waiters.TakeFirst() is { } waiter)
        {
            Timers.Cancel(waiter.Key);
            waiter.Caller.Tell(Disposed(waiter.CallId));
        }

        _peer.Tell(PeerClosed.Instance);
    }

    /// <summary>Answers a request this end cannot serve: closed, or the wrong direction of a one-way pipe.</summary>
    private bool Refuse(long callId, bool allowed, string direction)
    {
        if (Closed)
        {
            Sender.Tell(Disposed(callId));
            return true;
        }

        if (!allowed)
        {
            Sender.Tell(new Failed(callId, RemoteError.From(new InvalidOperationException(direction))));
            return true;
        }

        return false;
    }

    private void WakePolls()
    {
        foreach (var poll in _waiters.All.Where(w => w.Payload is PollMark).ToList())
        {
            _waiters.Remove(poll.Key);
            Timers.Cancel(poll.Key);
            poll.Caller.Tell(new Flag(poll.CallId, true, false));
        }
    }

    private Failed Disposed(long callId) =>
        new(callId, RemoteError.From(new ObjectDisposedException(_closedBecause, (Exception?)null)));

    private static Failed EndOfStream(long callId) =>
        new(callId, RemoteError.From(new EndOfStreamException(
            "The other end of the pipe is closed and every value it sent was received (Python's EOFError).")));

    /// <summary>Sent once by <see cref="Pipe.Create"/>, before any request: the other end of the pipe.</summary>
    public sealed record Pair(IActorRef Peer) : INoSerializationVerificationNeeded;

    private sealed class PollMark
    {
        public static PollMark Instance { get; } = new();
    }
}
