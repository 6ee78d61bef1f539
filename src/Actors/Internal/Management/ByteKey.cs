namespace Multiprocessing.Internal.Management;

/// <summary>An encoded value used as a key: equal when the encodings are equal (MessagePack encodes a value one way).</summary>
internal readonly struct ByteKey(byte[] bytes) : IEquatable<ByteKey>
{
    public byte[] Bytes { get; } = bytes;

    public bool Equals(ByteKey other) => Bytes.AsSpan().SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is ByteKey other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Bytes);
        return hash.ToHashCode();
    }
}
