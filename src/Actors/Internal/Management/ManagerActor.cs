using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Event;
using MessagePack;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Internal.Sync;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// The root actor of a manager process: creates one child actor per shared object and stops the process on
/// request. Objects live as long as the manager.
/// </summary>
internal sealed class ManagerActor : ReceiveActor
{
    private readonly Dictionary<Address, byte[]> _nonces = [];
    private readonly Dictionary<string, string> _shared = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _count;

    public ManagerActor()
    {
        Receive<AuthHello>(hello =>
        {
            var nonce = RandomNumberGenerator.GetBytes(32);
            _nonces[Sender.Path.Address] = nonce;
            Sender.Tell(new Data(hello.CallId, nonce));
        });
        Receive<AuthProve>(prove =>
        {
            var address = Sender.Path.Address;
            if (_nonces.Remove(address, out var nonce)
                && CryptographicOperations.FixedTimeEquals(prove.Proof, Sharing.KeyRing.Mac(ManagerAccess.Key, nonce, "client")))
            {
                ManagerAccess.Allow(address);
                Sender.Tell(new AuthWelcome(prove.CallId, Sharing.KeyRing.Mac(ManagerAccess.Key, prove.ClientNonce, "server"), Environment.ProcessId));
                return;
            }

            _log.Warning("Refused {0}: the digest it sent was wrong (wrong authkey).", address);
            Sender.Tell(new Failed(prove.CallId, RemoteError.From(new AuthenticationException(
                "The manager rejected the digest: wrong authkey (M-10)."))));
        });
        Receive<IRequest>(request => !ManagerAccess.IsAllowed(Sender), request => ManagerAccess.Refuse(request, Sender, _log));
        Receive<Share>(share =>
        {
            _shared[share.Name] = share.Path;
            Sender.Tell(new Done(share.CallId));
        });
        Receive<Lookup>(lookup => Sender.Tell(_shared.TryGetValue(lookup.Name, out var path)
            ? new Data(lookup.CallId, Encoding.UTF8.GetBytes(path))
            : new Failed(lookup.CallId, RemoteError.From(new KeyNotFoundException(
                $"The manager has no object shared as '{lookup.Name}'; the serving side must call Share(\"{lookup.Name}\", proxy) first.")))));
        Receive<CreateObject>(create =>
        {
            try
            {
                var props = GuardActor.Props(PropsFor(create.Kind, create.Args));
                var child = Context.ActorOf(props, $"{create.Kind}-{++_count}");
                var address = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
                Sender.Tell(new Data(create.CallId, Encoding.UTF8.GetBytes(child.Path.ToStringWithAddress(address))));
            }
            catch (Exception ex)
            {
                Sender.Tell(new Failed(create.CallId, RemoteError.From(ex)));
            }
        });
        Receive<StopManager>(stop =>
        {
            Sender.Tell(new Done(stop.CallId));
            CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new ManagerActor());

    private static Props PropsFor(string kind, byte[][] args) => kind switch
    {
        ContainerKinds.Dict or ContainerKinds.Namespace or ContainerKinds.List or ContainerKinds.Array or ContainerKinds.Value =>
            SharedContainerActor.Props(kind, args, ReadReplicas.Settings.ReadLeaseMaxBytes),
        ContainerKinds.Lock => LeaseLockActor.Props(reentrant: false),
        ContainerKinds.RLock => LeaseLockActor.Props(reentrant: true),
        ContainerKinds.Semaphore => SemaphoreActor.Props(MessagePackSerializer.Deserialize<int>(args[0]), null, isLock: false),
        ContainerKinds.BoundedSemaphore => SemaphoreActor.Props(
            MessagePackSerializer.Deserialize<int>(args[0]), MessagePackSerializer.Deserialize<int>(args[0]), isLock: false),
        ContainerKinds.Queue or ContainerKinds.JoinableQueue => QueueActor.Props(MessagePackSerializer.Deserialize<int>(args[0])),
        ContainerKinds.Event => EventActor.Props(),
        ContainerKinds.Condition => ConditionActor.Props(),
        ContainerKinds.Barrier => BarrierActor.Props(
            MessagePackSerializer.Deserialize<int>(args[0]),
            MessagePackSerializer.Deserialize<long>(args[1]),
            args.Length > 2 ? MessagePackSerializer.Deserialize<FunctionSpec>(args[2], ManagerBarrier.SpecOptions) : null),
        ContainerKinds.Custom => CustomObjectActor.Props(Encoding.UTF8.GetString(args[0]), Encoding.UTF8.GetString(args[1])),
        _ => throw new NotSupportedException($"A manager cannot create a '{kind}'."),
    };
}

/// <summary>How a manager Barrier's action travels to the manager.</summary>
internal static class ManagerBarrier
{
    public static MessagePackSerializerOptions SpecOptions { get; } =
        MessagePackSerializerOptions.Standard.WithResolver(MessagePack.Resolvers.StandardResolverAllowPrivate.Instance);
}
