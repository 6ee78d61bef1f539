using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MessagePack;

namespace Multiprocessing.Internal.Serialization;

/// <summary>
/// Chunks of plain numbers (<see cref="long"/>, <see cref="int"/>, <see cref="double"/>), the most common arguments and
/// results of <c>map</c>, read and written straight from spans instead of one formatter call per item: the same
/// MessagePack bytes the formatters produce and accept, several times faster. Anything else (another type, a value
/// the fast reader does not take) goes the general way. The per-item loops are compiled fully optimized at their
/// first call: they run over whole chunks, often in a worker that has just started, long before tiering would
/// optimize them.
/// </summary>
internal static class NumberArrays
{
    /// <summary>The most bytes one number takes (a type code and 8 bytes).</summary>
    public const int MaxBytesPerItem = 9;

    /// <summary>Whether <typeparamref name="T"/> has a fast path.</summary>
    public static bool Handles<T>() => typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(double);

    /// <summary>Writes <paramref name="item"/> at <paramref name="position"/> (a <see cref="Handles{T}"/> type only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write<T>(Span<byte> destination, ref int position, T item)
    {
        if (typeof(T) == typeof(double))
        {
            destination[position] = MessagePackCode.Float64;
            BinaryPrimitives.WriteDoubleBigEndian(destination[(position + 1)..], Unsafe.As<T, double>(ref item));
            position += 9;
            return;
        }

        var value = typeof(T) == typeof(int) ? Unsafe.As<T, int>(ref item) : Unsafe.As<T, long>(ref item);
        WriteInteger(destination, ref position, value);
    }

    /// <summary>
    /// Reads an array of <typeparamref name="T"/> that fills <paramref name="source"/>; false (and nothing read) when
    /// an item is not a number of that type, so the caller can take the general way and report it.
    /// </summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> source, out T[] values)
    {
        values = [];
        if (!TryReadCount(source, out var count))
        {
            return false;
        }

        var read = new T[count];
        if (!TryRead(source, read.AsSpan()))
        {
            return false;
        }

        values = read;
        return true;
    }

    /// <summary>
    /// The item count in the array header at the start of <paramref name="source"/>; false when there is no header or
    /// the count cannot fit in <paramref name="source"/> (each item takes at least one byte).
    /// </summary>
    public static bool TryReadCount(ReadOnlySpan<byte> source, out int count)
    {
        var position = 0;
        return TryReadArrayHeader(source, ref position, out count) && count <= source.Length - position;
    }

    /// <summary>
    /// Reads an array of exactly <paramref name="destination"/>'s length of <typeparamref name="T"/> that fills
    /// <paramref name="source"/> into <paramref name="destination"/>; false when the count differs or an item is not a
    /// number of that type (part of <paramref name="destination"/> may then have been written).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryRead<T>(ReadOnlySpan<byte> source, Span<T> destination)
    {
        var position = 0;
        if (!TryReadArrayHeader(source, ref position, out var count) || count != destination.Length)
        {
            return false;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            if (!TryReadItem(source, ref position, out destination[i]))
            {
                return false;
            }
        }

        return position == source.Length;
    }

    /// <summary>Writes a MessagePack array header for <paramref name="count"/> items.</summary>
    public static void WriteArrayHeader(Span<byte> destination, ref int position, int count)
    {
        if (count <= 15)
        {
            destination[position++] = (byte)(MessagePackCode.MinFixArray | count);
        }
        else if (count <= ushort.MaxValue)
        {
            destination[position] = MessagePackCode.Array16;
            BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 1)..], (ushort)count);
            position += 3;
        }
        else
        {
            destination[position] = MessagePackCode.Array32;
            BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 1)..], (uint)count);
            position += 5;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadItem<T>(ReadOnlySpan<byte> source, ref int position, out T value)
    {
        value = default!;
        if (typeof(T) == typeof(double))
        {
            if (position + 9 > source.Length || source[position] != MessagePackCode.Float64)
            {
                return false;
            }

            var number = BinaryPrimitives.ReadDoubleBigEndian(source[(position + 1)..]);
            position += 9;
            value = Unsafe.As<double, T>(ref number);
            return true;
        }

        if (!TryReadInteger(source, ref position, out var integer))
        {
            return false;
        }

        if (typeof(T) == typeof(int))
        {
            if (integer is < int.MinValue or > int.MaxValue)
            {
                return false;
            }

            var narrow = (int)integer;
            value = Unsafe.As<int, T>(ref narrow);
            return true;
        }

        value = Unsafe.As<long, T>(ref integer);
        return true;
    }

    /// <summary>The encoding <c>MessagePackWriter.Write(long)</c> chooses: the shortest form for the value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteInteger(Span<byte> destination, ref int position, long value)
    {
        if (value >= 0)
        {
            if (value <= MessagePackRange.MaxFixPositiveInt)
            {
                destination[position++] = (byte)value;
            }
            else if (value <= byte.MaxValue)
            {
                destination[position] = MessagePackCode.UInt8;
                destination[position + 1] = (byte)value;
                position += 2;
            }
            else if (value <= ushort.MaxValue)
            {
                destination[position] = MessagePackCode.UInt16;
                BinaryPrimitives.WriteUInt16BigEndian(destination[(position + 1)..], (ushort)value);
                position += 3;
            }
            else if (value <= uint.MaxValue)
            {
                destination[position] = MessagePackCode.UInt32;
                BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 1)..], (uint)value);
                position += 5;
            }
            else
            {
                destination[position] = MessagePackCode.UInt64;
                BinaryPrimitives.WriteUInt64BigEndian(destination[(position + 1)..], (ulong)value);
                position += 9;
            }
        }
        else if (value >= MessagePackRange.MinFixNegativeInt)
        {
            destination[position++] = unchecked((byte)value);
        }
        else if (value >= sbyte.MinValue)
        {
            destination[position] = MessagePackCode.Int8;
            destination[position + 1] = unchecked((byte)value);
            position += 2;
        }
        else if (value >= short.MinValue)
        {
            destination[position] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(destination[(position + 1)..], (short)value);
            position += 3;
        }
        else if (value >= int.MinValue)
        {
            destination[position] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(destination[(position + 1)..], (int)value);
            position += 5;
        }
        else
        {
            destination[position] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(destination[(position + 1)..], value);
            position += 9;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadInteger(ReadOnlySpan<byte> source, ref int position, out long value)
    {
        value = 0;
        if (position >= source.Length)
        {
            return false;
        }

        var code = source[position];
        if (code <= MessagePackCode.MaxFixInt)
        {
            value = code;
            position++;
            return true;
        }

        if (code >= MessagePackCode.MinNegativeFixInt)
        {
            value = unchecked((sbyte)code);
            position++;
            return true;
        }

        var size = code switch
        {
            MessagePackCode.UInt8 or MessagePackCode.Int8 => 1,
            MessagePackCode.UInt16 or MessagePackCode.Int16 => 2,
            MessagePackCode.UInt32 or MessagePackCode.Int32 => 4,
            MessagePackCode.UInt64 or MessagePackCode.Int64 => 8,
            _ => 0,
        };
        if (size == 0 || position + 1 + size > source.Length)
        {
            return false;
        }

        var body = source.Slice(position + 1, size);
        switch (code)
        {
            case MessagePackCode.UInt8:
                value = body[0];
                break;
            case MessagePackCode.Int8:
                value = unchecked((sbyte)body[0]);
                break;
            case MessagePackCode.UInt16:
                value = BinaryPrimitives.ReadUInt16BigEndian(body);
                break;
            case MessagePackCode.Int16:
                value = BinaryPrimitives.ReadInt16BigEndian(body);
                break;
            case MessagePackCode.UInt32:
                value = BinaryPrimitives.ReadUInt32BigEndian(body);
                break;
            case MessagePackCode.Int32:
                value = BinaryPrimitives.ReadInt32BigEndian(body);
                break;
            case MessagePackCode.UInt64:
                var unsigned = BinaryPrimitives.ReadUInt64BigEndian(body);
                if (unsigned > long.MaxValue)
                {
                    return false;
                }

                value = (long)unsigned;
                break;
            default:
                value = BinaryPrimitives.ReadInt64BigEndian(body);
                break;
        }

        position += 1 + size;
        return true;
    }

    private static bool TryReadArrayHeader(ReadOnlySpan<byte> source, ref int position, out int count)
    {
        count = 0;
        if (source.IsEmpty)
        {
            return false;
        }

        var code = source[0];
        if (code is >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray)
        {
            count = code & 0x0f;
            position = 1;
            return true;
        }

        if (code == MessagePackCode.Array16 && source.Length >= 3)
        {
            count = BinaryPrimitives.ReadUInt16BigEndian(source[1..]);
            position = 3;
            return true;
        }

        if (code == MessagePackCode.Array32 && source.Length >= 5)
        {
            var wide = BinaryPrimitives.ReadUInt32BigEndian(source[1..]);
            if (wide > int.MaxValue)
            {
                return false;
            }

            count = (int)wide;
            position = 5;
            return true;
        }

        return false;
    }
}
