using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using MessagePack;

namespace Multiprocessing.Internal.Functions;

/// <summary>How a task's arguments are laid out on the wire.</summary>
internal enum ArgsShape
{
    /// <summary>No arguments; each entry is nil.</summary>
    None = 0,

    /// <summary>One argument; each entry is the value itself.</summary>
    Single = 1,

    /// <summary>Two or more arguments; each entry is a ValueTuple of them.</summary>
    Tuple = 2,
}

/// <summary>
/// A task function named by assembly, build (MVID), type, metadata token and generic arguments, so another process
/// running the same build can find it. Python pickles functions by qualified name the same way.
/// </summary>
[MessagePackObject]
internal sealed record FunctionSpec(
    [property: Key(0)] string AssemblyName,
    [property: Key(1)] Guid ModuleVersionId,
    [property: Key(2)] string DeclaringType,
    [property: Key(3)] int MetadataToken,
    [property: Key(4)] string MethodName,
    [property: Key(5)] string[] MethodGenericArguments,
    [property: Key(6)] bool OnSingleton,
    [property: Key(7)] ArgsShape Shape,
    [property: Key(8)] string ArgsType,
    [property: Key(9)] string ResultType)
{
    /// <summary>A stable identity for caches (the record's own equality compares arrays by reference).</summary>
    [IgnoreMember]
    public string CacheKey => $"{ModuleVersionId}|{DeclaringType}|{MetadataToken}|{string.Join(";", MethodGenericArguments)}|{Shape}|{ArgsType}|{ResultType}";

    /// <summary>A short name for messages: <c>Type.Method</c>.</summary>
    [IgnoreMember]
    public string DisplayName
    {
        get
        {
            var type = DeclaringType;
            var comma = type.IndexOf(',', StringComparison.Ordinal);
            if (comma > 0)
            {
                type = type[..comma];
            }

            return $"{type}.{MethodName}";
        }
    }

    /// <summary>
    /// Describes <paramref name="function"/> for another process. Refuses delegates that capture state, instance
    /// methods, dynamic methods and multicast delegates, with a message that names what was captured.
    /// </summary>
    /// <param name="function">The task function.</param>
    /// <param name="argsType">The type of one argument entry as the caller serializes it.</param>
    /// <param name="resultType">The result type as the caller deserializes it (<see cref="Nil"/> for none).</param>
    /// <param name="shape">How arguments are laid out.</param>
    /// <param name="parameterName">The caller's parameter name, for the exception.</param>
    public static FunctionSpec Create(Delegate function, Type argsType, Type resultType, ArgsShape shape, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(function, parameterName);
        if (function.GetInvocationList().Length > 1)
        {
            throw new ArgumentException(
                "A task function must be a single method, not a multicast delegate (one built with + or +=).", parameterName);
        }

        var method = function.Method;
        if (method is DynamicMethod || method.DeclaringType is null || method.Module.Assembly.IsDynamic)
        {
            throw new ArgumentException(
                $"The task function {method.Name} is generated at run time (expression tree or dynamic method); " +
                "other processes cannot find it. Use a static method or a lambda that captures nothing.", parameterName);
        }

        var onSingleton = false;
        if (!method.IsStatic)
        {
            var target = function.Target;
            if (target is not null && IsClosure(target.GetType()))
            {
                var names = CapturedNames(target.GetType());
                throw new ArgumentException(
                    $"The task function {method.DeclaringType.Name}.{method.Name} is a lambda that captures " +
                    $"{(names.Count == 1 ? "the variable" : "the variables")} {string.Join(", ", names.Select(n => $"'{n}'"))}. " +
                    "Task functions run in other processes, where captured state does not exist: pass those values as " +
                    "arguments (or items) instead, and make the lambda capture nothing or use a static method.",
                    parameterName);
            }

            if (target is not null && IsStatelessLambdaHolder(target.GetType()))
            {
                onSingleton = true;
            }
            else
            {
                var what = target is null ? "an open instance method" : $"an instance method of {target.GetType().FullName}";
                var hint = IsCompilerGenerated(method) ? " (a lambda that uses 'this')" : string.Empty;
                throw new ArgumentException(
                    $"The task function {method.DeclaringType.Name}.{method.Name} is {what}{hint}. Task functions run in " +
                    "other processes, where that object does not exist: use a static method or a lambda that captures nothing.",
                    parameterName);
            }
        }

        if (TaskRunner.TakesCancellationToken(method)
            && ((shape == ArgsShape.Single && argsType == typeof(CancellationToken))
                || (shape == ArgsShape.Tuple && argsType.GetGenericArguments()[^1] == typeof(CancellationToken))))
        {
            throw new ArgumentException(
                $"The task function {method.Name} takes a CancellationToken as its last parameter: the pool supplies it (cancelled at " +
                "the soft time limit), so do not pass one as an argument.",
                parameterName);
        }

        var declaring = method.DeclaringType;
        return new FunctionSpec(
            declaring.Assembly.FullName ?? declaring.Assembly.GetName().Name ?? "?",
            method.Module.ModuleVersionId,
            declaring.AssemblyQualifiedName ?? throw new ArgumentException($"Type {declaring} cannot be named.", parameterName),
            method.MetadataToken,
            method.Name,
            method.IsGenericMethod ? method.GetGenericArguments().Select(QualifiedName).ToArray() : [],
            onSingleton,
            shape,
            QualifiedName(argsType),
            QualifiedName(resultType));
    }

    /// <summary>Finds the method in this process, checking that the build matches the caller's.</summary>
    public (MethodInfo Method, object? Target) Resolve()
    {
        var declaring = Type.GetType(DeclaringType, throwOnError: false)
            ?? throw new TaskFunctionException(
                $"The task function {DisplayName} cannot be found in process {Environment.ProcessId}: type {DeclaringType} " +
                "does not load here. The worker runs the caller's app; is the assembly part of it?");
        if (declaring.Module.ModuleVersionId != ModuleVersionId)
        {
            throw new TaskFunctionException(
                $"The task function {DisplayName} comes from a different build of {AssemblyName} than this process has " +
                $"(caller build {ModuleVersionId}, here {declaring.Module.ModuleVersionId}). Run the same build everywhere.");
        }

        var method = declaring.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance)
            .FirstOrDefault(m => m.MetadataToken == MetadataToken)
            ?? throw new TaskFunctionException($"The task function {DisplayName} was not found on {declaring.FullName}.");
        if (MethodGenericArguments.Length > 0)
        {
            method = method.MakeGenericMethod(MethodGenericArguments.Select(LoadType).ToArray());
        }

        object? target = null;
        if (OnSingleton)
        {
            target = declaring.GetField("<>9", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null)
                ?? throw new TaskFunctionException($"The lambda {DisplayName} has no singleton instance in this process.");
        }

        return (method, target);
    }

    public static Type LoadType(string name) => Type.GetType(name, throwOnError: false)
        ?? throw new TaskFunctionException($"Type {name} cannot be loaded in process {Environment.ProcessId}.");

    private static string QualifiedName(Type type) =>
        type.AssemblyQualifiedName ?? throw new ArgumentException($"Type {type} has no assembly-qualified name.");

    private static bool IsCompilerGenerated(MemberInfo member) =>
        member.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || member.Name.StartsWith('<');

    private static bool IsClosure(Type type) =>
        IsCompilerGenerated(type) && type.Name.Contains("DisplayClass", StringComparison.Ordinal);

    private static bool IsStatelessLambdaHolder(Type type) =>
        IsCompilerGenerated(type) && type.Name == "<>c"
        && type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length == 0;

    private static List<string> CapturedNames(Type closure)
    {
        var names = new List<string>();
        foreach (var field in closure.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (field.Name.Contains("<>4__this", StringComparison.Ordinal))
            {
                names.Add("this");
            }
            else if (field.Name.StartsWith("CS$<>", StringComparison.Ordinal) && IsClosure(field.FieldType))
            {
                names.AddRange(CapturedNames(field.FieldType));
            }
            else
            {
                names.Add(field.Name);
            }
        }

        return names.Count == 0 ? ["(unknown state)"] : names;
    }
}
