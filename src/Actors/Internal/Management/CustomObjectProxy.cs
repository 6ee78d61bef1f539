using System.Reflection;
using Akka.Actor;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// The client side of a custom manager object: a <see cref="DispatchProxy"/> implementing the registered interface,
/// each call one round trip to the one instance in the manager process.
/// </summary>
internal class CustomObjectProxy : DispatchProxy
{
    private IActorRef? _actor;

    internal void Attach(IActorRef actor) => _actor = actor;

    /// <inheritdoc/>
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var actor = _actor ?? throw new InvalidOperationException("The proxy is not attached to a manager object.");
        var parameters = targetMethod.GetParameters();
        var encoded = new byte[parameters.Length][];
        for (var i = 0; i < parameters.Length; i++)
        {
            encoded[i] = ValueCodec.Serialize(parameters[i].ParameterType, args?[i], $"Argument '{parameters[i].Name}' of {targetMethod.Name}");
        }

        var reply = new ContainerClient(actor, targetMethod.DeclaringType?.Name ?? "object", leaseKind: null)
            .Call(CustomObjectActor.Signature(targetMethod), encoded);
        return targetMethod.ReturnType == typeof(void) ? null : ValueCodec.Deserialize(targetMethod.ReturnType, ((Data)reply).Value);
    }
}
