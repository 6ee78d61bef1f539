using System.Collections.Concurrent;
using Akka.Actor;
using Multiprocessing.Internal.Runtime;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Sharing;

/// <summary>
/// Calls shared objects that may live in other processes. Requests are sent straight from the calling thread with
/// this process's reply actor as sender; the reply actor completes the waiting task. It watches every object it
/// called, so an object whose process died fails its pending calls instead of leaving them hanging.
/// </summary>
internal static class Caller
{
    private static readonly ConcurrentDictionary<long, Pending> Calls = new();
    private static readonly ConcurrentDictionary<IActorRef, bool> Watched = new();
    private static readonly Lazy<IActorRef> ReplyActor = new(() =>
        MultiprocessingRuntime.System.ActorOf(Props.Create(() => new CallerActor()), "calls"));

    private const int MaxPendingWrites = 4096;
    private static readonly System.Collections.Generic.Queue<Task<IReply>> Writes = new();
    private static long _lastId;
    private static IActorRef? _lastWriteTarget;
    private static volatile bool _writeFailed;
    private static readonly ConcurrentDictionary<IActorRef, bool> Dead = new();
    private static readonly ConcurrentDictionary<Address, bool> GoneAddresses = new();

    /// <summary>Whether writes of this process still wait for their acknowledgement (a racy read: exact for the calling thread's own writes).</summary>
    public static bool HasPendingWrites => Writes.Count > 0;

    /// <summary>Whether a write of this process failed and the failure has not been raised yet.</summary>
    public static bool HasFailedWrite => _writeFailed;

    /// <summary>This process's reply actor: the identity of this process for shared objects (lock owners, consumers).</summary>
    public static IActorRef Self => ReplyActor.Value;

    /// <summary>
    /// Sends a request and waits for its reply; first proves this process to the target's manager if it holds a key
    /// for it (<see cref="KeyRing"/>).
    /// </summary>
    public static async Task<IReply> CallAsync(IActorRef target, Func<long, IRequest> request, string what, CancellationToken cancellationToken)
    {
        await DrainWritesAsync().ConfigureAwait(false);
        await KeyRing.EnsureAsync(target).ConfigureAwait(false);
        return await SendAsync(target, request, what, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request and waits for its reply, without authentication (the handshake itself uses this).</summary>
    public static async Task<IReply> SendAsync(IActorRef target, Func<long, IRequest> request, string what, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var self = Self;
        var (id, pending) = Send(target, request, what, self);
        if (!cancellationToken.CanBeCanceled)
        {
            return await pending.Completion.Task.ConfigureAwait(false);
        }

        // Cancelling asks the object to withdraw the request; the call then ends with the object's answer: Withdrawn
        // (nothing happened: OperationCanceledException) or its normal reply if it had already served the request,
        // so a lock granted or an item taken at that moment is never lost.
        using (cancellationToken.Register(() => target.Tell(new Cancel(id), self)))
        {
            return await pending.Completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The blocking twin of <see cref="CallAsync"/>. The calling thread waits on the reply itself, so a call completes
    /// even when every thread-pool thread is blocked in calls like it (no continuation needs a pool thread).
    /// </summary>
    public static IReply Call(IActorRef target, Func<long, IRequest> request, string what)
    {
        DrainWrites();
        var proof = KeyRing.EnsureAsync(target);
        if (!proof.IsCompletedSuccessfully)
        {
            proof.GetAwaiter().GetResult();
        }

        var (_, pending) = Send(target, request, what, Self);
        return pending.Completion.Task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Sends a write whose acknowledgement nobody waits for now (an operation on a manager container). The next call
    /// of this process on any object, and the end of a child process, first wait for all such acknowledgements and
    /// raise the first failure among them: release consistency, so programs that synchronize through the library see
    /// every earlier write. At most <see cref="MaxPendingWrites"/> are outstanding; beyond that the oldest is awaited.
    /// </summary>
    /// <returns>The acknowledgement.</returns>
    public static Task<IReply> SendWrite(IActorRef target, Func<long, IRequest> request, string what)
    {
        PrepareWrite(target, what);
        return PostWrite(target, request, what);
    }

    /// <summary>
    /// The waits a write to <paramref name="target"/> needs before it may be sent (see <see cref="SendWrite"/>); may
    /// block, so callers hold no lock. Raises the failure of an earlier write, or the target's death.
    /// </summary>
    public static void PrepareWrite(IActorRef target, string what)
    {
        // A write to an object known to be gone fails at once, and a failure of an earlier write is raised now.
        if (Dead.ContainsKey(target) || GoneAddresses.ContainsKey(target.Path.Address))
        {
            throw Unavailable(what, target);
        }

        if (_writeFailed)
        {
            DrainWrites();
        }

        // Writes to one object keep their order by themselves (one sender, one mailbox). A write to another object
        // first waits for the earlier ones, so no process can see a later write before an earlier one.
        bool otherTarget;
        lock (Writes)
        {
            otherTarget = Writes.Count > 0 && !Equals(_lastWriteTarget, target);
        }

        if (otherTarget)
        {
            DrainWrites();
        }

        var proof = KeyRing.EnsureAsync(target);
        if (!proof.IsCompletedSuccessfully)
        {
            proof.GetAwaiter().GetResult();
        }

        int count;
        lock (Writes)
        {
            count = Writes.Count;
        }

        if (count >= MaxPendingWrites)
        {
            DrainWrites(count - (MaxPendingWrites / 2));
        }
    }

    /// <summary>
    /// Sends a write at once, waiting for nothing (<see cref="PrepareWrite"/> did, or the write continues writes to the
    /// same object that did); its acknowledgement joins those the next call waits for.
    /// </summary>
    /// <returns>The acknowledgement.</returns>
    public static Task<IReply> PostWrite(IActorRef target, Func<long, IRequest> request, string what)
    {
        Task<IReply> ack;
        if (Dead.ContainsKey(target) || GoneAddresses.ContainsKey(target.Path.Address))
        {
            ack = Task.FromException<IReply>(Unavailable(what, target));
            _writeFailed = true;
        }
        else
        {
            var (_, pending) = Send(target, request, what, Self);
            pending.IsWrite = true;
            ack = pending.Completion.Task;
        }

        lock (Writes)
        {
            Writes.Enqueue(ack);
            _lastWriteTarget = target;
        }

        return ack;
    }

    /// <summary>Waits for every outstanding write of this process; raises the first that failed.</summary>
    public static void DrainWrites(int limit = int.MaxValue)
    {
        if (limit == int.MaxValue)
        {
            // Queue puts held to be sent together leave now, so they are among the writes waited for.
            Queues.PutBatcher.FlushAll();
        }

        Exception? first = null;
        for (var i = 0; i < limit; i++)
        {
            Task<IReply>? write;
            lock (Writes)
            {
                if (!Writes.TryDequeue(out write))
                {
                    break;
                }
            }

            try
            {
                if (write.GetAwaiter().GetResult() is Failed failed)
                {
                    first ??= failed.Error.ToException("an earlier write of this process");
                }
            }
            catch (Exception ex)
            {
                first ??= ex;
            }
        }

        lock (Writes)
        {
            if (Writes.Count == 0)
            {
                _writeFailed = false;
            }
        }

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>The awaitable twin of <see cref="DrainWrites"/>.</summary>
    public static Task DrainWritesAsync()
    {
        Queues.PutBatcher.FlushAll();
        lock (Writes)
        {
            if (Writes.Count == 0)
            {
                return Task.CompletedTask;
            }
        }

        return Task.Run(() => DrainWrites());
    }

    /// <summary>Registers the call before sending, then watches the target, so a death is never missed.</summary>
    private static (long Id, Pending Pending) Send(IActorRef target, Func<long, IRequest> request, string what, IActorRef self)
    {
        var id = Interlocked.Increment(ref _lastId);
        var pending = new Pending(target, what, Telemetry.ProxyCall.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0);
        Calls[id] = pending;
        if (Watched.TryAdd(target, true))
        {
            self.Tell(new WatchTarget(target));
        }

        target.Tell(request(id), self);
        return (id, pending);
    }

    /// <summary>
    /// The process at <paramref name="address"/> is known to be gone (its owner saw it exit): pending calls to it fail
    /// now, and later ones at once, without waiting for the failure detector.
    /// </summary>
    public static void ProcessGone(Address address) => Self.Tell(new AddressGone(address));

    /// <summary>
    /// A new process now answers at <paramref name="address"/> (a manager started or connected there, which may reuse
    /// the port of one that died): calls to it are no longer failed as gone.
    /// </summary>
    public static void AddressReused(Address address)
    {
        GoneAddresses.TryRemove(address, out _);
        Management.ReadReplicas.Forget(address);
        foreach (var target in Dead.Keys.Where(t => t.Path.Address.Equals(address)).ToList())
        {
            Dead.TryRemove(target, out _);
        }

        // Sent before any call to the new process, so the reply actor forgets the old one first.
        Self.Tell(new AddressRevived(address));
    }

    /// <summary>Whether <paramref name="target"/>'s process is known to be gone (its calls fail at once).</summary>
    public static bool IsGone(IActorRef target) => Dead.ContainsKey(target) || GoneAddresses.ContainsKey(target.Path.Address);

    /// <summary>Turns a failure reply into its exception; returns other replies.</summary>
    public static IReply Check(IReply reply, string origin) =>
        reply is Failed failed ? throw failed.Error.ToException(origin) : reply;

    /// <summary>The error for a call whose object's process is gone: a manager's objects live under /user/manager.</summary>
    public static RemoteObjectUnavailableException Unavailable(string what, IActorRef target)
    {
        var elements = target.Path.Elements;
        var inManager = elements.Count >= 2 && elements[0] == "user" && elements[1] == "manager";
        var message = $"{what} cannot complete: the {(inManager ? "manager process" : "process that holds the object")} " +
            $"({target.Path.Address}) is gone or unreachable.";
        return inManager ? new ManagerUnavailableException(message) : new RemoteObjectUnavailableException(message);
    }

    private sealed record WatchTarget(IActorRef Target) : INoSerializationVerificationNeeded;

    private sealed record AddressGone(Address Address) : INoSerializationVerificationNeeded;

    private sealed record AddressRevived(Address Address) : INoSerializationVerificationNeeded;

    private sealed class Pending(IActorRef target, string what, long started)
    {
        /// <summary>Gets when the request was sent (a Stopwatch timestamp), or 0 when nobody measures round trips.</summary>
        public long Started { get; } = started;

        public IActorRef Target { get; } = target;

        public string What { get; } = what;

        public TaskCompletionSource<IReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Sent by <see cref="SendWrite"/>: nobody waits for it now, so its failure is flagged for the next call.</summary>
        public bool IsWrite { get; set; }
    }

    private sealed class CallerActor : ReceiveActor
    {
        private readonly HashSet<Address> _gone = [];

        public CallerActor()
        {
            Receive<IReply>(reply =>
            {
                var claimed = Calls.TryRemove(reply.CallId, out var pending);
                if (reply is Queues.QueueProtocol.Items items)
                {
                    // Prefetched items are filed before the get resumes, so a later Revoke sees them.
                    Queues.PrefetchBuffer.Received(pending?.Target ?? Sender, Sender, items, claimed);
                }

                if (reply is Management.ManagerProtocol.LeaseGranted grant)
                {
                    // Installed before the request resumes, and before any revoke the container sent after it.
                    Management.ReadReplicas.Granted(pending?.Target, grant);
                }

                if (claimed && pending is not null)
                {
                    if (reply is Withdrawn)
                    {
                        pending.Completion.TrySetCanceled();
                    }
                    else
                    {
                        if (reply is Failed && pending.IsWrite)
                        {
                            _writeFailed = true;
                        }

                        if (pending.Started != 0)
                        {
                            Telemetry.ProxyCall.Record(System.Diagnostics.Stopwatch.GetElapsedTime(pending.Started).TotalSeconds);
                        }

                        pending.Completion.TrySetResult(reply);
                    }
                }
            });
            Receive<Queues.QueueProtocol.Revoke>(_ => Queues.PrefetchBuffer.Revoked(Sender));
            Receive<Management.ManagerProtocol.ReadRevoke>(revoke =>
            {
                Management.ReadReplicas.Revoked(Sender, revoke.Epoch);
                Sender.Tell(new Management.ManagerProtocol.ReadRevoked(revoke.Epoch));
            });
            Receive<WatchTarget>(watch =>
            {
                if (_gone.Contains(watch.Target.Path.Address))
                {
                    FailCallsTo(watch.Target);
                }
                else
                {
                    Context.Watch(watch.Target);
                }
            });
            Receive<AddressGone>(gone =>
            {
                _gone.Add(gone.Address);
                GoneAddresses[gone.Address] = true;
                Locks.LockLeases.AddressGone(gone.Address);
                Management.ReadReplicas.Forget(gone.Address);
                foreach (var target in Calls.Values.Select(p => p.Target).Where(t => t.Path.Address.Equals(gone.Address)).Distinct().ToList())
                {
                    FailCallsTo(target);
                }
            });
            Receive<AddressRevived>(revived => _gone.Remove(revived.Address));
            Receive<Terminated>(terminated => FailCallsTo(terminated.ActorRef));
        }

        private static void FailCallsTo(IActorRef target)
        {
            Watched.TryRemove(target, out _);
            Dead[target] = true;
            Management.ReadReplicas.Forget(target);
            foreach (var (id, pending) in Calls)
            {
                if (Equals(pending.Target, target) && Calls.TryRemove(id, out _))
                {
                    _writeFailed |= pending.IsWrite;
                    pending.Completion.TrySetException(Unavailable(pending.What, target));
                }
            }
        }
    }
}
