using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Pooling;

/// <summary>
/// Encodes argument entries into chunks (each a MessagePack array), in the caller's thread, so an unserializable
/// argument fails at the call with its position (P-71, pain point 7).
/// </summary>
internal static class ChunkBuilder
{
    private const int HeaderBytes = 5;

    /// <summary>Cuts <paramref name="items"/> into chunks of <paramref name="size"/> entries, and of at most
    /// <paramref name="maxBytes"/> bytes when <paramref name="splitBySize"/> (the default chunksize).</summary>
    public static List<(int Offset, byte[] Chunk)> EncodeAll<TArgs>(
        IReadOnlyList<TArgs> items, int size, bool splitBySize, long maxBytes, string function)
    {
        if (NumberArrays.Handles<TArgs>())
        {
            return EncodeNumbers(items, size, splitBySize, maxBytes);
        }

        var chunks = new List<(int, byte[])>();
        var buffer = new ArrayBufferWriter<byte>();
        var formatter = FormatterFor<TArgs>(function);
        var start = 0;
        while (start < items.Count)
        {
            buffer.Clear();
            var writer = new MessagePackWriter(buffer);
            var header = writer.GetSpan(HeaderBytes);
            header[0] = MessagePackCode.Array32;
            writer.Advance(HeaderBytes);
            var count = 0;
            var end = Math.Min(items.Count, start + size);
            for (var i = start; i < end; i++)
            {
                Write(formatter, ref writer, items[i], i, function);
                count++;
                if (splitBySize && (count & 63) == 0)
                {
                    writer.Flush();
                    if (buffer.WrittenCount >= maxBytes)
                    {
                        break;
                    }
                }
            }

            writer.Flush();
            chunks.Add((start, Finish(buffer, count)));
            start += count;
        }

        return chunks;
    }

    /// <summary>Encodes one chunk of <paramref name="items"/>; <paramref name="firstPosition"/> names items in errors.</summary>
    public static byte[] Encode<TArgs>(IReadOnlyList<TArgs> items, int firstPosition, string function)
    {
        if (NumberArrays.Handles<TArgs>())
        {
            return items.Count == 0 ? [MessagePackCode.MinFixArray] : EncodeNumbers(items, items.Count, false, long.MaxValue)[0].Chunk;
        }

        var buffer = new ArrayBufferWriter<byte>();
        var formatter = FormatterFor<TArgs>(function);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            Write(formatter, ref writer, items[i], firstPosition + i, function);
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Plain numbers: written straight into a pooled scratch buffer, at most 9 bytes each, so a chunk's size is known
    /// up front; each chunk is then copied out at its exact size.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static List<(int Offset, byte[] Chunk)> EncodeNumbers<TArgs>(IReadOnlyList<TArgs> items, int size, bool splitBySize, long maxBytes)
    {
        var chunks = new List<(int, byte[])>();
        var perChunk = splitBySize ? (int)Math.Clamp((maxBytes - HeaderBytes) / NumberArrays.MaxBytesPerItem, 1, size) : size;
        var buffer = ArrayPool<byte>.Shared.Rent(checked(HeaderBytes + (Math.Min(perChunk, items.Count) * NumberArrays.MaxBytesPerItem)));
        try
        {
            var start = 0;
            while (start < items.Count)
            {
                var count = Math.Min(perChunk, items.Count - start);
                var position = HeaderBytes;
                for (var i = start; i < start + count; i++)
                {
                    NumberArrays.Write(buffer, ref position, items[i]);
                }

                var chunk = buffer.AsSpan(0, position).ToArray();
                chunk[0] = MessagePackCode.Array32;
                BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(1, 4), (uint)count);
                chunks.Add((start, chunk));
                start += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return chunks;
    }

    private static void Write<TArgs>(IMessagePackFormatter<TArgs> formatter, ref MessagePackWriter writer, TArgs item, int position, string function)
    {
        if (ValueCodec.IsRefused(item))
        {
            ValueCodec.Guard(item, $"Argument {position} of {function}");
        }

        try
        {
            formatter.Serialize(ref writer, item, ValueCodec.Options);
        }
        catch (Exception ex)
        {
            throw ValueCodec.Failure(ex, item, typeof(TArgs), $"Argument {position} of {function}");
        }
    }

    private static IMessagePackFormatter<TArgs> FormatterFor<TArgs>(string function)
    {
        try
        {
            return ValueCodec.Options.Resolver.GetFormatterWithVerify<TArgs>();
        }
        catch (Exception ex)
        {
            throw ValueCodec.Failure(ex, null, typeof(TArgs), $"The arguments of {function}");
        }
    }

    private static byte[] Finish(ArrayBufferWriter<byte> buffer, int count)
    {
        var chunk = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(1, 4), (uint)count);
        return chunk;
    }
}
