using System.Buffers;
using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using MessagePack;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Functions;

/// <summary>
/// Runs one task function over a chunk of encoded argument entries, writing the encoded results. Built once per
/// function in each worker; the call itself is a compiled delegate, not reflection.
/// </summary>
internal abstract class TaskRunner
{
    private static readonly ConcurrentDictionary<string, TaskRunner> Cache = new();

    public abstract string Name { get; }

    /// <summary>Whether the function takes a <see cref="CancellationToken"/> as its last parameter (not sent as an argument).</summary>
    public bool TakesToken { get; private set; }

    /// <summary>
    /// Runs every entry of <paramref name="args"/> (a MessagePack array) and returns the results array. A function
    /// that takes a token as its last parameter gets <paramref name="cancellationToken"/>.
    /// </summary>
    public abstract byte[] RunChunk(ReadOnlyMemory<byte> args, CancellationToken cancellationToken = default);

    public static TaskRunner For(FunctionSpec spec) => Cache.GetOrAdd(spec.CacheKey, static (_, s) => Build(s), spec);

    private static TaskRunner Build(FunctionSpec spec)
    {
        var (method, target) = spec.Resolve();
        var argsType = FunctionSpec.LoadType(spec.ArgsType);
        var resultType = FunctionSpec.LoadType(spec.ResultType);
        var parameters = method.GetParameters();
        var takesToken = TakesCancellationToken(method);
        if (takesToken)
        {
            parameters = parameters[..^1];
        }

        if (spec.Shape == ArgsShape.Single && parameters.Length == 1 && parameters[0].ParameterType == argsType
            && method.ReturnType == resultType && method.IsStatic == (target is null))
        {
            return Create(argsType, resultType, DirectCall(method, target, argsType, resultType, takesToken), spec.DisplayName, takesToken);
        }

        var input = Expression.Parameter(argsType, "args");
        var token = Expression.Parameter(typeof(CancellationToken), "cancellationToken");
        var arguments = new List<Expression>();
        switch (spec.Shape)
        {
            case ArgsShape.None:
                break;
            case ArgsShape.Single:
                arguments.Add(input);
                break;
            case ArgsShape.Tuple:
                for (var i = 0; i < parameters.Length; i++)
                {
                    arguments.Add(Expression.Field(input, $"Item{i + 1}"));
                }

                break;
            default:
                throw new TaskFunctionException($"Unknown argument layout {spec.Shape}.");
        }

        if (arguments.Count != parameters.Length)
        {
            throw new TaskFunctionException(
                $"The task function {spec.DisplayName} takes {parameters.Length} arguments but {arguments.Count} were sent.");
        }

        var converted = arguments.Select((a, i) => Convert(a, parameters[i].ParameterType)).ToList();
        if (takesToken)
        {
            converted.Add(token);
        }

        Expression call = target is null
            ? Expression.Call(method, converted)
            : Expression.Call(Expression.Constant(target), method, converted);
        Expression body = method.ReturnType == typeof(void)
            ? Expression.Block(call, Expression.Default(resultType))
            : Convert(call, resultType);
        var lambda = Expression.Lambda(
            typeof(Func<,,>).MakeGenericType(argsType, typeof(CancellationToken), resultType), body, input, token).Compile();
        return Create(argsType, resultType, lambda, spec.DisplayName, takesToken);
    }

    private static TaskRunner Create(Type argsType, Type resultType, Delegate function, string name, bool takesToken)
    {
        var runnerType = typeof(TaskRunner<,>).MakeGenericType(argsType, resultType);
        var runner = (TaskRunner)Activator.CreateInstance(runnerType, function, name)!;
        runner.TakesToken = takesToken;
        return runner;
    }

    /// <summary>
    /// The runner's delegate for a function that takes exactly the argument type and returns exactly the result type
    /// (the usual map function): made from the method itself, without compiling an expression, which costs a worker
    /// that has just started tens of milliseconds before its first chunk can run.
    /// </summary>
    private static Delegate DirectCall(System.Reflection.MethodInfo method, object? target, Type argsType, Type resultType, bool takesToken)
    {
        if (takesToken)
        {
            return method.CreateDelegate(typeof(Func<,,>).MakeGenericType(argsType, typeof(CancellationToken), resultType), target);
        }

        var function = method.CreateDelegate(typeof(Func<,>).MakeGenericType(argsType, resultType), target);
        return (Delegate)typeof(TaskRunner).GetMethod(nameof(IgnoringToken), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(argsType, resultType)
            .Invoke(null, [function])!;
    }

    private static Func<TArgs, CancellationToken, TResult> IgnoringToken<TArgs, TResult>(Func<TArgs, TResult> function) =>
        (args, _) => function(args);

    /// <summary>Whether <paramref name="method"/>'s last parameter is a <see cref="CancellationToken"/> the runtime supplies.</summary>
    public static bool TakesCancellationToken(System.Reflection.MethodInfo method)
    {
        var parameters = method.GetParameters();
        return parameters.Length > 0 && parameters[^1].ParameterType == typeof(CancellationToken);
    }

    private static Expression Convert(Expression value, Type type) =>
        value.Type == type ? value : Expression.Convert(value, type);
}

/// <summary>The typed runner for one function: arguments of <typeparamref name="TArgs"/>, results of <typeparamref name="TResult"/>.</summary>
internal sealed class TaskRunner<TArgs, TResult>(Func<TArgs, CancellationToken, TResult> function, string name) : TaskRunner
{
    public override string Name => name;

    public override byte[] RunChunk(ReadOnlyMemory<byte> args, CancellationToken cancellationToken = default)
    {
        // Plain numbers (map over longs, ints, doubles) are read and written straight from spans, the arguments
        // into a pooled array: a chunk of thousands of items allocates only its results.
        if (NumberArrays.Handles<TArgs>() && NumberArrays.TryReadCount(args.Span, out var count))
        {
            var pooled = ArrayPool<TArgs>.Shared.Rent(count);
            try
            {
                var numbers = pooled.AsSpan(0, count);
                if (NumberArrays.TryRead(args.Span, numbers))
                {
                    return NumberArrays.Handles<TResult>() ? RunToNumbers(numbers, cancellationToken) : RunToValues(numbers, cancellationToken);
                }
            }
            finally
            {
                ArrayPool<TArgs>.Shared.Return(pooled);
            }
        }

        var reader = new MessagePackReader(args);
        var entries = new TArgs[reader.ReadArrayHeader()];
        var arguments = ValueCodec.Formatter<TArgs>();
        var options = ValueCodec.Options;
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = arguments.Deserialize(ref reader, options);
        }

        return NumberArrays.Handles<TResult>() ? RunToNumbers(entries, cancellationToken) : RunToValues(entries, cancellationToken);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private byte[] RunToNumbers(ReadOnlySpan<TArgs> entries, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(5 + (entries.Length * NumberArrays.MaxBytesPerItem));
        try
        {
            var position = 0;
            NumberArrays.WriteArrayHeader(buffer, ref position, entries.Length);
            foreach (var entry in entries)
            {
                NumberArrays.Write(buffer, ref position, function(entry, cancellationToken));
            }

            return buffer.AsSpan(0, position).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] RunToValues(ReadOnlySpan<TArgs> entries, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(16, entries.Length * 8));
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(entries.Length);
        var results = ValueCodec.Formatter<TResult>();
        var options = ValueCodec.Options;
        foreach (var entry in entries)
        {
            var result = function(entry, cancellationToken);
            ValueCodec.Guard(result, "A result");
            try
            {
                results.Serialize(ref writer, result, options);
            }
            catch (Exception ex)
            {
                throw ValueCodec.Failure(ex, result, typeof(TResult), $"The result of {name}");
            }
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
