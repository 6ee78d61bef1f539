using System.Buffers;
using System.Reflection;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Multiprocessing.Internal.Serialization;

/// <summary>
/// Encodes user values (task arguments, results, shared-object contents) as contractless MessagePack, so
/// plain classes, records, tuples and collections need no attributes.
/// </summary>
internal static class ValueCodec
{
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(Sharing.SharedObjectResolver.Instance, ContractlessStandardResolver.Instance))
        .WithSecurity(MessagePackSecurity.TrustedData);

    /// <summary>
    /// Writes one value, turning any failure into a <see cref="TaskSerializationException"/>. The caller checks the
    /// size of the whole message (<see cref="MessageLimit"/>); <see cref="Serialize{T}"/> does so itself.
    /// </summary>
    public static void Write<T>(ref MessagePackWriter writer, T value, string what)
    {
        Guard<T>(value, what);
        try
        {
            MessagePackSerializer.Serialize(ref writer, value, Options);
        }
        catch (Exception ex)
        {
            throw Failure(ex, value, typeof(T), what);
        }
    }

    /// <summary>The error for a value that could not be serialized.</summary>
    public static TaskSerializationException Failure(Exception error, object? value, Type declared, string what) =>
        new($"{what} of type {Describe(value?.GetType() ?? declared)} cannot be serialized: {Unwrap(error).Message}", error);

    public static T Read<T>(ref MessagePackReader reader) => MessagePackSerializer.Deserialize<T>(ref reader, Options)!;

    /// <summary>The formatter of <typeparamref name="T"/>, looked up once: for loops over many values of one type.</summary>
    public static IMessagePackFormatter<T> Formatter<T>() => FormatterCache<T>.Instance;

    public static byte[] Serialize<T>(T value, string what)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, value, what);
        writer.Flush();
        MessageLimit.Check(buffer.WrittenCount, $"{what} of type {Describe(value?.GetType() ?? typeof(T))}");
        return buffer.WrittenSpan.ToArray();
    }

    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        return Read<T>(ref reader);
    }

    public static object? Deserialize(Type type, ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize(type, bytes, Options);

    public static byte[] Serialize(Type type, object? value, string what)
    {
        byte[] bytes;
        try
        {
            bytes = MessagePackSerializer.Serialize(type, value, Options);
        }
        catch (Exception ex)
        {
            throw new TaskSerializationException(
                $"{what} of type {Describe(value?.GetType() ?? type)} cannot be serialized: {Unwrap(ex).Message}", ex);
        }

        MessageLimit.Check(bytes.Length, $"{what} of type {Describe(value?.GetType() ?? type)}");
        return bytes;
    }

    /// <summary>Whether <see cref="Guard"/> would refuse <paramref name="value"/>: a cheap test before building its message.</summary>
    public static bool IsRefused<T>(T value) => value is Pool or Delegate or MemberInfo or Stream or Task or Thread;

    /// <summary>Refuses values that MessagePack would walk reflectively into nonsense (delegates, reflection objects).</summary>
    public static void Guard<T>(T value, string what)
    {
        if (value is Pool)
        {
            throw new TaskSerializationException(
                $"{what} is a Pool: pool objects cannot be passed between processes; only the process that created a pool may use it (P-09).");
        }

        if (value is Delegate or MemberInfo or Stream or Task or Thread)
        {
            throw new TaskSerializationException(
                $"{what} of type {Describe(value.GetType())} cannot be sent to another process: " +
                "delegates, streams, tasks, threads and reflection objects have no meaning there. Pass plain data instead.");
        }
    }

    internal static string Describe(Type type) => type.FullName ?? type.Name;

    private static Exception Unwrap(Exception ex)
    {
        while (ex is MessagePackSerializationException { InnerException: { } inner })
        {
            ex = inner;
        }

        return ex;
    }

    private static class FormatterCache<T>
    {
        public static readonly IMessagePackFormatter<T> Instance = Options.Resolver.GetFormatterWithVerify<T>();
    }
}
