using System.Collections.Concurrent;
using System.Security.Authentication;
using Akka.Actor;
using Akka.Event;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// Who may use this manager process: its owner, and every process that proved it knows the authkey. Everyone else
/// is refused with <see cref="AuthenticationException"/> and gets no access at all.
/// </summary>
internal static class ManagerAccess
{
    private static readonly ConcurrentDictionary<Address, bool> Allowed = new();

    public static byte[] Key { get; private set; } = [];

    public static void Configure(byte[] key, Address owner)
    {
        Key = key;
        Allowed[owner] = true;
    }

    public static void Allow(Address address) => Allowed[address] = true;

    /// <summary>Local senders (this process) are always allowed; remote ones only after the handshake.</summary>
    public static bool IsAllowed(IActorRef sender) => IsAllowed(sender.Path.Address);

    /// <summary>Whether the process at <paramref name="address"/> may use this process's shared objects and services.</summary>
    public static bool IsAllowed(Address address) => !address.HasGlobalScope || Allowed.ContainsKey(address);

    /// <summary>Refuses a message from an unauthenticated process: an error for requests, a log line either way.</summary>
    public static void Refuse(object message, IActorRef sender, ILoggingAdapter log)
    {
        log.Warning("Refused a message from {0}: it has not authenticated with this manager's authkey.", sender.Path.Address);
        if (message is IRequest request)
        {
            sender.Tell(new Failed(request.CallId, RemoteError.From(new AuthenticationException(
                "This manager refused the call: authenticate first with the manager's authkey (Manager.Connect)."))));
        }
    }
}

/// <summary>
/// Stands in front of each shared object in a manager process: lets through messages from allowed processes,
/// keeping their sender, and refuses the rest.
/// </summary>
internal sealed class GuardActor : ReceiveActor
{
    public GuardActor(Props inner)
    {
        var target = Context.ActorOf(inner, "object");
        var log = Context.GetLogger();
        ReceiveAny(message =>
        {
            if (ManagerAccess.IsAllowed(Sender))
            {
                target.Forward(message);
            }
            else
            {
                ManagerAccess.Refuse(message, Sender, log);
            }
        });
    }

    public static Props Props(Props inner) => Akka.Actor.Props.Create(() => new GuardActor(inner));
}
