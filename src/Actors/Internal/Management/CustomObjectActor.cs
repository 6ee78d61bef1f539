using System.Reflection;
using Akka.Actor;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// One instance of a user type registered with <c>Manager.Register</c> (Python's <c>BaseManager.register</c>,
/// M-60..M-64): calls arrive by method signature with encoded arguments and run one at a time on the instance.
/// </summary>
internal sealed class CustomObjectActor : ContainerActor
{
    private readonly object _instance;
    private readonly Dictionary<string, MethodInfo> _methods;

    public CustomObjectActor(string implementation, string contract)
    {
        var type = FunctionSpec.LoadType(implementation);
        var face = FunctionSpec.LoadType(contract);
        _instance = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"{type.FullName} could not be created.");
        _methods = face.GetMethods().Concat(face.GetInterfaces().SelectMany(i => i.GetMethods()))
            .ToDictionary(Signature, m => m);
        Receive<ManagerProtocol.Invoke>(invoke => Sender.Tell(Answer(invoke)));
    }

    public static Props Props(string implementation, string contract) =>
        Akka.Actor.Props.Create(() => new CustomObjectActor(implementation, contract));

    /// <summary>A method's identity on the wire: name and parameter types, so overloads stay apart.</summary>
    public static string Signature(MethodInfo method) =>
        $"{method.Name}({string.Join(",", method.GetParameters().Select(p => p.ParameterType.FullName))})";

    protected override IReply Handle(long callId, string method, byte[][] args)
    {
        if (!_methods.TryGetValue(method, out var target))
        {
            throw new MissingMethodException($"{_instance.GetType().FullName} does not expose {method} (M-63).");
        }

        var parameters = target.GetParameters();
        var values = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            values[i] = ValueCodec.Deserialize(parameters[i].ParameterType, args[i]);
        }

        object? result;
        try
        {
            result = target.Invoke(_instance, values);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            // M-64: the referent's own exception, with its type.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }

        return target.ReturnType == typeof(void)
            ? new Done(callId)
            : new Data(callId, ValueCodec.Serialize(target.ReturnType, result, $"The result of {method}"));
    }
}
