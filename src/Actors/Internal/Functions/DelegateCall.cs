using System.Buffers;
using MessagePack;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Functions;

/// <summary>
/// A call of a delegate with arguments given at run time (a pool initializer, a Process target): the function spec
/// and its arguments encoded as one chunk of one entry, typed by the method's own parameters.
/// </summary>
internal static class DelegateCall
{
    public static (FunctionSpec Spec, byte[] Args) Describe(Delegate function, IReadOnlyList<object?>? args, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(function, parameterName);
        var parameters = function.Method.GetParameters();
        if (TaskRunner.TakesCancellationToken(function.Method))
        {
            // The runtime supplies the token; it is not one of the arguments.
            parameters = parameters[..^1];
        }

        args ??= [];
        if (parameters.Length != args.Count)
        {
            throw new ArgumentException(
                $"{function.Method.Name} takes {parameters.Length} argument(s) but {args.Count} were given.", parameterName);
        }

        if (parameters.Length > 7)
        {
            throw new ArgumentException($"{function.Method.Name} takes more than 7 arguments; pass a record instead.", parameterName);
        }

        var types = parameters.Select(p => p.ParameterType).ToArray();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is { } value && !types[i].IsInstanceOfType(value))
            {
                throw new ArgumentException(
                    $"Argument {i} of {function.Method.Name} is a {value.GetType().Name}, but the parameter '{parameters[i].Name}' " +
                    $"takes {types[i].Name}.",
                    parameterName);
            }
        }

        var (argsType, shape, entry) = parameters.Length switch
        {
            0 => (typeof(Nil), ArgsShape.None, (object?)Nil.Default),
            1 => (types[0], ArgsShape.Single, args[0]),
            _ => (TupleType(types), ArgsShape.Tuple, Activator.CreateInstance(TupleType(types), [.. args])),
        };
        var resultType = function.Method.ReturnType == typeof(void) ? typeof(Nil) : typeof(object);
        var spec = FunctionSpec.Create(function, argsType, resultType, shape, parameterName);
        var encoded = ValueCodec.Serialize(argsType, entry, $"An argument of {function.Method.Name}");
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(1);
        writer.WriteRaw(encoded);
        writer.Flush();
        return (spec, buffer.WrittenSpan.ToArray());
    }

    private static Type TupleType(Type[] types) => types.Length switch
    {
        2 => typeof(ValueTuple<,>).MakeGenericType(types),
        3 => typeof(ValueTuple<,,>).MakeGenericType(types),
        4 => typeof(ValueTuple<,,,>).MakeGenericType(types),
        5 => typeof(ValueTuple<,,,,>).MakeGenericType(types),
        6 => typeof(ValueTuple<,,,,,>).MakeGenericType(types),
        _ => typeof(ValueTuple<,,,,,,>).MakeGenericType(types),
    };
}
