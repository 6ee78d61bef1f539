using Akka.Actor;
using MessagePack;
using Multiprocessing.Internal.Serialization;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>
/// The client side of a manager container: encodes arguments, calls a method, decodes the result. Reads are answered
/// by this process's replica while it holds a read lease on the container (<see cref="ReadReplica"/>).
/// </summary>
internal readonly struct ContainerClient
{
    private readonly IActorRef _actor;
    private readonly string _kind;
    private readonly string _leaseKind;
    private readonly ReadReplica? _replica;

    /// <param name="actor">The container (its guard in the manager process).</param>
    /// <param name="kind">The type's name in messages: dict, list, Array, Namespace, Value, or a custom type's name.</param>
    /// <param name="leaseKind">The <see cref="ContainerKinds"/> name of a container that grants read leases; <see langword="null"/> for others.</param>
    public ContainerClient(IActorRef actor, string kind, string? leaseKind)
    {
        _actor = actor;
        _kind = kind;
        _leaseKind = leaseKind ?? string.Empty;
        _replica = leaseKind is null ? null : ReadReplicas.For(actor, leaseKind);
    }

    public IActorRef Actor => _actor;

    public IReply Call(string method, params byte[][] args)
    {
        CheckSize(method, args);
        if (_replica is { } replica)
        {
            if (ContainerState.IsRead(_leaseKind, method))
            {
                if (replica.TryRead(method, args, out var cached) || (replica.TryLease() && replica.TryRead(method, args, out cached)))
                {
                    return cached;
                }
            }
            else
            {
                replica.Changing();
            }
        }

        var target = _actor;
        return Caller.Check(Caller.Call(target, id => new ManagerProtocol.Invoke(id, method, args), $"{_kind}.{method}"), Origin(target));
    }

    /// <summary>
    /// A write that cannot fail for valid arguments (set, append, update): sent without waiting for its answer.
    /// The process's next call on any object, pool submission, process start and exit first wait for it and raise
    /// its failure (release consistency, as queue puts).
    /// </summary>
    public void Write(string method, params byte[][] args)
    {
        CheckSize(method, args);
        var target = _actor;
        if (_replica is { } replica)
        {
            replica.Write(method, args, id => new ManagerProtocol.Invoke(id, method, args), $"{_kind}.{method}");
        }
        else
        {
            Caller.SendWrite(target, id => new ManagerProtocol.Invoke(id, method, args), $"{_kind}.{method}");
        }
    }

    public async Task<IReply> CallAsync(string method, CancellationToken cancellationToken, params byte[][] args)
    {
        CheckSize(method, args);
        if (_replica is { } replica)
        {
            if (ContainerState.IsRead(_leaseKind, method))
            {
                if (replica.TryRead(method, args, out var cached))
                {
                    return cached;
                }
            }
            else
            {
                replica.Changing();
            }
        }

        var target = _actor;
        var reply = await Caller.CallAsync(target, id => new ManagerProtocol.Invoke(id, method, args), $"{_kind}.{method}", cancellationToken)
            .ConfigureAwait(false);
        return Caller.Check(reply, Origin(target));
    }

    /// <summary>Each value was checked when it was encoded; several together (update, extend) may still be too large.</summary>
    private void CheckSize(string method, byte[][] args)
    {
        if (args.Length > 1)
        {
            MessageLimit.Check(args.Sum(a => (long)a.Length), $"The arguments of {_kind}.{method} together", "Send them in several calls.");
        }
    }

    private string Origin(IActorRef target) => $"the manager's {_kind} ({target.Path})";

    public static byte[] Encode<T>(T value, string what) => ValueCodec.Serialize(value, what);

    public static T Decode<T>(IReply reply) => ValueCodec.Deserialize<T>(((Data)reply).Value);

    public static long Count(IReply reply) => ((Number)reply).Value;

    public static bool IsTrue(IReply reply) => ((Flag)reply).Value;

    /// <summary>Decodes an array of entries.</summary>
    public static List<T> DecodeList<T>(IReply reply)
    {
        var reader = new MessagePackReader(((Data)reply).Value);
        var count = reader.ReadArrayHeader();
        var items = new List<T>(count);
        for (var i = 0; i < count; i++)
        {
            items.Add(ValueCodec.Read<T>(ref reader));
        }

        return items;
    }

    public static List<KeyValuePair<TKey, TValue>> DecodePairs<TKey, TValue>(IReply reply)
    {
        var reader = new MessagePackReader(((Data)reply).Value);
        var count = reader.ReadArrayHeader() / 2;
        var items = new List<KeyValuePair<TKey, TValue>>(count);
        for (var i = 0; i < count; i++)
        {
            var key = ValueCodec.Read<TKey>(ref reader);
            var value = ValueCodec.Read<TValue>(ref reader);
            items.Add(new(key, value));
        }

        return items;
    }

    /// <summary>
    /// An increment's delta, followed for integer types by the type's range, so the manager refuses a sum that would
    /// not fit (it keeps numbers as 64-bit integers or doubles and does not know the client's type).
    /// </summary>
    public static byte[][] Delta<T>(T delta, string what)
    {
        var encoded = Encode(delta, what);
        (long Min, long Max)? range = default(T) switch
        {
            sbyte => (sbyte.MinValue, sbyte.MaxValue),
            byte => (byte.MinValue, byte.MaxValue),
            short => (short.MinValue, short.MaxValue),
            ushort => (ushort.MinValue, ushort.MaxValue),
            int => (int.MinValue, int.MaxValue),
            uint => (uint.MinValue, uint.MaxValue),
            ulong => (0, long.MaxValue),
            _ => null,
        };
        return range is { } r ? [encoded, EncodeIndex(r.Min), EncodeIndex(r.Max)] : [encoded];
    }

    public static byte[] EncodeIndex(long index) => MessagePackSerializer.Serialize(index);

    public static byte[] EncodeOptionalIndex(long? index) => MessagePackSerializer.Serialize(index);

    public static byte[][] EncodeAll<T>(IEnumerable<T> items, string what) => items.Select(i => Encode(i, what)).ToArray();
}
