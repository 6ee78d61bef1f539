using System.Text;
using Akka.Actor;
using MessagePack;
using Multiprocessing.Internal.Locks;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// The root actor of a manager process: creates one child actor per shared object and stops the process on
/// request. Objects live as long as the manager.
/// </summary>
internal sealed class ManagerActor : ReceiveActor
{
    private long _count;

    public ManagerActor()
    {
        Receive<CreateObject>(create =>
        {
            try
            {
                var props = PropsFor(create.Kind, create.Args);
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
        ContainerKinds.Dict or ContainerKinds.Namespace => DictActor.Props(kind, args),
        ContainerKinds.List => ListActor.Props(fixedLength: false, args),
        ContainerKinds.Array => ListActor.Props(fixedLength: true, args),
        ContainerKinds.Value => ValueActor.Props(args[0]),
        ContainerKinds.Lock => SemaphoreActor.Props(1, 1, isLock: true),
        ContainerKinds.RLock => RLockActor.Props(),
        ContainerKinds.Semaphore => SemaphoreActor.Props(MessagePackSerializer.Deserialize<int>(args[0]), null, isLock: false),
        ContainerKinds.BoundedSemaphore => SemaphoreActor.Props(
            MessagePackSerializer.Deserialize<int>(args[0]), MessagePackSerializer.Deserialize<int>(args[0]), isLock: false),
        ContainerKinds.Custom => CustomObjectActor.Props(Encoding.UTF8.GetString(args[0]), Encoding.UTF8.GetString(args[1])),
        _ => throw new NotSupportedException($"A manager cannot create a '{kind}'."),
    };
}
