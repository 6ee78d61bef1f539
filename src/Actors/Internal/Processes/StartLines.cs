using System.Buffers;
using MessagePack;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Processes.ProcessProtocol;

namespace Multiprocessing.Internal.Processes;

/// <summary>
/// The lines a parent writes to a child's stdin (its secrets, and a spare's assignment): MessagePack arrays in base64,
/// written and read field by field. A child reads its secrets before anything else, so no serializer is set up for
/// them: MessagePack's resolvers build their formatters at run time, which costs a starting child 0.1 s it can spend
/// in parallel on the rest of its start (<see cref="ChildWarmUp"/>).
/// </summary>
internal static class StartLines
{
    public static string Encode(ChildSecrets secrets)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(secrets.Token);
        WriteKeys(ref writer, secrets.Keys);
        if (secrets.ManagerKey is { } key)
        {
            writer.Write(key);
        }
        else
        {
            writer.WriteNil();
        }

        writer.Write(secrets.RuntimeOverrides);
        writer.Flush();
        return Convert.ToBase64String(buffer.WrittenSpan);
    }

    /// <exception cref="FormatException">The line is not base64 or not such an array.</exception>
    public static ChildSecrets DecodeSecrets(string line) => Read(line, (ref MessagePackReader reader) =>
    {
        Expect(reader.ReadArrayHeader(), 4);
        var token = reader.ReadString() ?? string.Empty;
        var keys = ReadKeys(ref reader);
        var managerKey = reader.TryReadNil() ? null : reader.ReadBytes()?.ToArray();
        var overrides = reader.ReadString();
        return new ChildSecrets(token, keys, managerKey, overrides);
    });

    public static string Encode(ChildAssignment assignment)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(assignment.Role);
        writer.WriteArrayHeader(assignment.Arguments.Length);
        foreach (var argument in assignment.Arguments)
        {
            writer.Write(argument);
        }

        writer.Write(assignment.Token);
        WriteKeys(ref writer, assignment.Keys);
        writer.Flush();
        return Convert.ToBase64String(buffer.WrittenSpan);
    }

    /// <exception cref="FormatException">The line is not base64 or not such an array.</exception>
    public static ChildAssignment DecodeAssignment(string line) => Read(line, (ref MessagePackReader reader) =>
    {
        Expect(reader.ReadArrayHeader(), 4);
        var role = reader.ReadString() ?? string.Empty;
        var arguments = new string[reader.ReadArrayHeader()];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = reader.ReadString() ?? string.Empty;
        }

        var token = reader.ReadString() ?? string.Empty;
        return new ChildAssignment(role, arguments, token, ReadKeys(ref reader));
    });

    private delegate T Reader<out T>(ref MessagePackReader reader);

    private static T Read<T>(string line, Reader<T> read)
    {
        var reader = new MessagePackReader(Convert.FromBase64String(line));
        try
        {
            return read(ref reader);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new FormatException($"The start line is not what the parent writes: {ex.Message}", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new FormatException("The start line ended early.", ex);
        }
    }

    private static void WriteKeys(ref MessagePackWriter writer, IReadOnlyDictionary<string, byte[]> keys)
    {
        writer.WriteMapHeader(keys.Count);
        foreach (var (address, key) in keys)
        {
            writer.Write(address);
            writer.Write(key);
        }
    }

    private static Dictionary<string, byte[]> ReadKeys(ref MessagePackReader reader)
    {
        var count = reader.ReadMapHeader();
        var keys = new Dictionary<string, byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var address = reader.ReadString() ?? string.Empty;
            keys[address] = reader.ReadBytes()?.ToArray() ?? [];
        }

        return keys;
    }

    private static void Expect(int count, int expected)
    {
        if (count != expected)
        {
            throw new FormatException($"The start line has {count} fields, not {expected}.");
        }
    }
}
