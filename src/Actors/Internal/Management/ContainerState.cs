using MessagePack;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// The state of a shared dict, list, Array, Namespace or Value and its methods, apart from the actor that serves it:
/// the manager's actor owns the authoritative copy, and a process holding a read lease answers reads from a replica
/// built from <see cref="Snapshot"/>. Methods are deterministic, so the same calls in the same order give the same
/// state and answers in both. Values are kept encoded, so what a client reads is always a copy (M-22, M-28).
/// </summary>
internal abstract class ContainerState
{
    /// <summary>Runs one method; throws the referent's exception (the caller gets it with its type, M-23).</summary>
    public abstract IReply Handle(long callId, string method, byte[][] args);

    /// <summary>The whole state as encoded parts, from which <see cref="Create"/> builds an equal replica.</summary>
    public abstract byte[][] Snapshot();

    /// <summary>The encoded size of <see cref="Snapshot"/> without building it.</summary>
    public abstract long EncodedSize { get; }

    /// <summary>Whether objects of <paramref name="kind"/> (a <see cref="ContainerKinds"/> name) have a state here and can be leased.</summary>
    public static bool IsLeased(string kind) =>
        kind is ContainerKinds.Dict or ContainerKinds.Namespace or ContainerKinds.List or ContainerKinds.Array or ContainerKinds.Value;

    /// <summary>Whether <paramref name="method"/> of a <paramref name="kind"/> only reads (a leased replica may answer it).</summary>
    public static bool IsRead(string kind, string method) => kind switch
    {
        ContainerKinds.Dict or ContainerKinds.Namespace => method is "get" or "contains" or "count" or "keys" or "values" or "items",
        ContainerKinds.List or ContainerKinds.Array => method is "get" or "count" or "slice" or "contains" or "index",
        ContainerKinds.Value => method == "get",
        _ => false,
    };

    /// <summary>
    /// The state of a new object of <paramref name="kind"/> (a <see cref="ContainerKinds"/> name) from its creation
    /// arguments, or a replica from a <see cref="Snapshot"/>; <see langword="null"/> for kinds that are not containers.
    /// </summary>
    public static ContainerState? Create(string kind, byte[][] args) => kind switch
    {
        ContainerKinds.Dict or ContainerKinds.Namespace => new DictState(kind, args),
        ContainerKinds.List => new ListState(fixedLength: false, args),
        ContainerKinds.Array => new ListState(fixedLength: true, args),
        ContainerKinds.Value => new ValueState(args[0]),
        _ => null,
    };

    protected static NotSupportedException Unknown(string method, string type) =>
        new($"The shared {type} has no method '{method}'.");

    /// <summary>
    /// Adds <c>args[at]</c> to an encoded number: integers stay integers, a 32-bit float stays 32-bit (so a later
    /// compare-and-set with the same value matches), and when the client sent its type's range after the delta, a sum
    /// outside it is refused with <see cref="OverflowException"/> and nothing is stored.
    /// </summary>
    protected static byte[] AddNumber(byte[] current, byte[][] args, int at)
    {
        var delta = args[at];
        var currentReader = new MessagePackReader(current);
        var deltaReader = new MessagePackReader(delta);
        if (IsFloat(currentReader) || IsFloat(deltaReader))
        {
            var single = currentReader.NextCode == MessagePackCode.Float32
                || (!IsFloat(currentReader) && deltaReader.NextCode == MessagePackCode.Float32);
            var sum = ReadDouble(ref currentReader) + ReadDouble(ref deltaReader);
            return single ? MessagePackSerializer.Serialize((float)sum) : MessagePackSerializer.Serialize(sum);
        }

        var total = checked(currentReader.ReadInt64() + deltaReader.ReadInt64());
        if (args.Length >= at + 3)
        {
            var min = MessagePackSerializer.Deserialize<long>(args[at + 1]);
            var max = MessagePackSerializer.Deserialize<long>(args[at + 2]);
            if (total < min || total > max)
            {
                throw new OverflowException($"The sum {total} does not fit the value's type ({min} to {max}); the value was not changed.");
            }
        }

        return MessagePackSerializer.Serialize(total);
    }

    /// <summary>
    /// Whether two encoded values are equal: the same encoding, or two numbers of the same value (so -0.0 equals 0.0
    /// and 1.5f equals 1.5, as in Python and .NET).
    /// </summary>
    protected static bool SameValue(byte[] left, byte[] right)
    {
        if (left.AsSpan().SequenceEqual(right))
        {
            return true;
        }

        var a = new MessagePackReader(left);
        var b = new MessagePackReader(right);
        return (IsFloat(a) || IsFloat(b))
            && a.NextMessagePackType is MessagePackType.Float or MessagePackType.Integer
            && b.NextMessagePackType is MessagePackType.Float or MessagePackType.Integer
            && ReadDouble(ref a) == ReadDouble(ref b);
    }

    private static bool IsFloat(MessagePackReader reader) =>
        reader.NextMessagePackType == MessagePackType.Float;

    private static double ReadDouble(ref MessagePackReader reader) =>
        reader.NextMessagePackType == MessagePackType.Float ? reader.ReadDouble() : reader.ReadInt64();

    protected static byte[] EncodeArray(IEnumerable<byte[]> items, int count)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(count);
        foreach (var item in items)
        {
            writer.WriteRaw(item);
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    protected static byte[] EncodeBool(bool value) => MessagePackSerializer.Serialize(value);

    protected static Data Value(long callId, byte[] value) => new(callId, value);
}

/// <summary>A shared <c>dict</c> (and <c>Namespace</c>, a dict of attribute names): insertion-ordered, like Python's.</summary>
internal sealed class DictState : ContainerState
{
    private readonly OrderedDictionary<ByteKey, byte[]> _items = [];
    private readonly string _kind;

    public DictState(string kind, byte[][] initial)
    {
        _kind = kind;
        for (var i = 0; i + 1 < initial.Length; i += 2)
        {
            _items[new ByteKey(initial[i])] = initial[i + 1];
        }
    }

    public override byte[][] Snapshot() => [.. _items.SelectMany(p => new[] { p.Key.Bytes, p.Value })];

    public override long EncodedSize => _items.Sum(p => (long)p.Key.Bytes.Length + p.Value.Length);

    public override IReply Handle(long callId, string method, byte[][] args)
    {
        switch (method)
        {
            case "get":
                return _items.TryGetValue(new ByteKey(args[0]), out var found)
                    ? Value(callId, found)
                    : args.Length > 1 ? Value(callId, args[1]) : throw Missing(args[0]);
            case "set":
                _items[new ByteKey(args[0])] = args[1];
                return new Done(callId);
            case "delete":
                return _items.Remove(new ByteKey(args[0])) ? new Done(callId) : throw Missing(args[0]);
            case "contains":
                return new Flag(callId, _items.ContainsKey(new ByteKey(args[0])), false);
            case "count":
                return new Number(callId, _items.Count);
            case "clear":
                _items.Clear();
                return new Done(callId);
            case "pop":
                if (_items.Remove(new ByteKey(args[0]), out var popped))
                {
                    return Value(callId, popped);
                }

                return args.Length > 1 ? Value(callId, args[1]) : throw Missing(args[0]);
            case "setdefault":
                var key = new ByteKey(args[0]);
                if (!_items.TryGetValue(key, out var existing))
                {
                    existing = args[1];
                    _items[key] = existing;
                }

                return Value(callId, existing);
            case "update":
                for (var i = 0; i + 1 < args.Length; i += 2)
                {
                    _items[new ByteKey(args[i])] = args[i + 1];
                }

                return new Done(callId);
            case "increment":
                var counter = new ByteKey(args[0]);
                var sum = AddNumber(_items.TryGetValue(counter, out var current) ? current : MessagePackSerializer.Serialize(0), args, 1);
                _items[counter] = sum;
                return Value(callId, sum);
            case "keys":
                return Value(callId, EncodeArray(_items.Keys.Select(k => k.Bytes), _items.Count));
            case "values":
                return Value(callId, EncodeArray(_items.Values, _items.Count));
            case "items":
                return Value(callId, EncodeArray(_items.SelectMany(p => new[] { p.Key.Bytes, p.Value }), _items.Count * 2));
            default:
                throw Unknown(method, _kind);
        }
    }

    private Exception Missing(byte[] key)
    {
        string shown;
        try
        {
            shown = MessagePackSerializer.ConvertToJson(key);
        }
        catch (MessagePackSerializationException)
        {
            shown = "(key)";
        }

        return _kind == ContainerKinds.Namespace
            ? new MissingMemberException($"The namespace has no attribute {shown}.")
            : new KeyNotFoundException($"The key {shown} is not in the dict.");
    }
}

/// <summary>A shared <c>list</c>, or with <c>fixedLength</c> an <c>Array</c> (get, set and length only, M-51).</summary>
internal sealed class ListState(bool fixedLength, IEnumerable<byte[]> initial) : ContainerState
{
    private readonly List<byte[]> _items = [.. initial];

    public override byte[][] Snapshot() => [.. _items];

    public override long EncodedSize => _items.Sum(i => (long)i.Length);

    public override IReply Handle(long callId, string method, byte[][] args)
    {
        switch (method)
        {
            case "get":
                return Value(callId, _items[Index(args[0])]);
            case "set":
                _items[Index(args[0])] = args[1];
                return new Done(callId);
            case "count":
                return new Number(callId, _items.Count);
            case "slice":
                var (start, stop) = Range(args[0], args[1]);
                return Value(callId, EncodeArray(_items.Skip(start).Take(stop - start), stop - start));
            case "contains":
                return new Flag(callId, _items.Any(i => SameValue(i, args[0])), false);
            case "index":
                var at = _items.FindIndex(i => SameValue(i, args[0]));
                return at >= 0 ? new Number(callId, at) : throw new ArgumentException("The value is not in the list.");
            case "increment":
                var slot = Index(args[0]);
                _items[slot] = AddNumber(_items[slot], args, 1);
                return Value(callId, _items[slot]);
        }

        if (fixedLength)
        {
            throw new NotSupportedException($"A shared Array has a fixed length: '{method}' is not available (M-51).");
        }

        switch (method)
        {
            case "append":
                _items.Add(args[0]);
                return new Done(callId);
            case "extend":
                _items.AddRange(args);
                return new Done(callId);
            case "insert":
                var position = MessagePackSerializer.Deserialize<long>(args[0]);
                position = position < 0 ? Math.Max(0, _items.Count + position) : Math.Min(position, _items.Count);
                _items.Insert((int)position, args[1]);
                return new Done(callId);
            case "pop":
                if (_items.Count == 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(args), "Pop from an empty list.");
                }

                var index = args.Length > 0 ? Index(args[0]) : _items.Count - 1;
                var value = _items[index];
                _items.RemoveAt(index);
                return Value(callId, value);
            case "remove":
                var found = _items.FindIndex(i => SameValue(i, args[0]));
                if (found < 0)
                {
                    throw new ArgumentException("The value is not in the list.");
                }

                _items.RemoveAt(found);
                return new Done(callId);
            case "clear":
                _items.Clear();
                return new Done(callId);
            default:
                throw Unknown(method, "list");
        }
    }

    private int Index(byte[] encoded)
    {
        var index = MessagePackSerializer.Deserialize<long>(encoded);
        var resolved = index < 0 ? _items.Count + index : index;
        return resolved >= 0 && resolved < _items.Count
            ? (int)resolved
            : throw new ArgumentOutOfRangeException(nameof(encoded), index, $"List index out of range (length {_items.Count}).");
    }

    private (int Start, int Stop) Range(byte[] start, byte[] stop)
    {
        int Clamp(long i) => (int)Math.Clamp(i < 0 ? _items.Count + i : i, 0, _items.Count);
        var from = MessagePackSerializer.Deserialize<long?>(start) is { } s ? Clamp(s) : 0;
        var to = MessagePackSerializer.Deserialize<long?>(stop) is { } e ? Clamp(e) : _items.Count;
        return (from, Math.Max(from, to));
    }
}

/// <summary>A shared <c>Value</c>: get, set, and atomic increment and compare-and-set.</summary>
internal sealed class ValueState(byte[] initial) : ContainerState
{
    private byte[] _value = initial;

    public override byte[][] Snapshot() => [_value];

    public override long EncodedSize => _value.Length;

    public override IReply Handle(long callId, string method, byte[][] args)
    {
        switch (method)
        {
            case "get":
                return Value(callId, _value);
            case "set":
                _value = args[0];
                return new Done(callId);
            case "increment":
                _value = AddNumber(_value, args, 0);
                return Value(callId, _value);
            case "compare-and-set":
                if (_value.AsSpan().SequenceEqual(args[0]))
                {
                    _value = args[1];
                    return new Flag(callId, true, false);
                }

                return new Flag(callId, false, false);
            default:
                throw Unknown(method, "Value");
        }
    }
}
