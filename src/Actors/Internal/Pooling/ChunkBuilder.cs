using System.Buffers;
using MessagePack;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Pooling;

/// <summary>
/// Encodes argument entries into one chunk (a MessagePack array), in the caller's thread, so an unserializable
/// argument fails at the call with its position (P-71, pain point 7).
/// </summary>
internal sealed class ChunkBuilder<TArgs>(string function)
{
    private readonly ArrayBufferWriter<byte> _body = new();

    public int Count { get; private set; }

    public int Bytes => _body.WrittenCount;

    public void Add(TArgs entry, int position)
    {
        var mark = _body.WrittenCount;
        var writer = new MessagePackWriter(_body);
        try
        {
            ValueCodec.Write(ref writer, entry, $"Argument {position} of {function}");
            writer.Flush();
        }
        catch
        {
            if (_body.WrittenCount != mark)
            {
                // Drop a partly written entry.
                var kept = _body.WrittenSpan[..mark].ToArray();
                _body.Clear();
                _body.Write(kept);
            }

            throw;
        }

        Count++;
    }

    public byte[] Build()
    {
        var header = new ArrayBufferWriter<byte>(8);
        var writer = new MessagePackWriter(header);
        writer.WriteArrayHeader(Count);
        writer.Flush();
        var chunk = new byte[header.WrittenCount + _body.WrittenCount];
        header.WrittenSpan.CopyTo(chunk);
        _body.WrittenSpan.CopyTo(chunk.AsSpan(header.WrittenCount));
        Clear();
        return chunk;
    }

    public void Clear()
    {
        _body.Clear();
        Count = 0;
    }
}
