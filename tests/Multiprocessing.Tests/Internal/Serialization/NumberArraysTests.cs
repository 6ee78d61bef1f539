using MessagePack;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Tests.Internal.Serialization;

/// <summary>
/// The fast path for chunks of plain numbers must read what the MessagePack formatters write and write what they
/// read, at every encoding boundary, and must refuse (not misread) anything else so the general path reports it.
/// </summary>
public sealed class NumberArraysTests
{
    public static readonly long[] Boundaries =
    [
        0, 1, 127, 128, 255, 256, 65_535, 65_536, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue,
        -1, -32, -33, -128, -129, short.MinValue, short.MinValue - 1, int.MinValue, (long)int.MinValue - 1, long.MinValue,
    ];

    [Fact]
    public void Longs_written_here_read_back_through_MessagePack_and_the_other_way_round()
    {
        var written = Write(Boundaries);

        Assert.Equal(Boundaries, MessagePackSerializer.Deserialize<long[]>(written));
        Assert.True(NumberArrays.TryRead<long>(MessagePackSerializer.Serialize(Boundaries), out var read));
        Assert.Equal(Boundaries, read);
    }

    [Fact]
    public void Ints_round_trip_and_a_long_outside_int_range_is_refused()
    {
        int[] ints = [0, 127, -32, -33, 255, short.MinValue, int.MaxValue, int.MinValue];

        Assert.True(NumberArrays.TryRead<int>(MessagePackSerializer.Serialize(ints), out var read));
        Assert.Equal(ints, read);
        Assert.Equal(ints, MessagePackSerializer.Deserialize<int[]>(Write(ints)));
        Assert.False(NumberArrays.TryRead<int>(MessagePackSerializer.Serialize(new long[] { (long)int.MaxValue + 1 }), out _));
    }

    [Fact]
    public void Doubles_round_trip_bit_for_bit_including_NaN_negative_zero_and_infinities()
    {
        double[] doubles = [0.0, -0.0, 1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, double.MaxValue];

        Assert.True(NumberArrays.TryRead<double>(MessagePackSerializer.Serialize(doubles), out var read));
        Assert.Equal(doubles.Select(BitConverter.DoubleToInt64Bits), read.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(
            doubles.Select(BitConverter.DoubleToInt64Bits),
            MessagePackSerializer.Deserialize<double[]>(Write(doubles)).Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(70_000)]
    public void Every_array_header_size_reads_back(int count)
    {
        var values = Enumerable.Range(0, count).Select(i => (long)i * 37).ToArray();

        Assert.True(NumberArrays.TryRead<long>(Write(values), out var read));
        Assert.Equal(values, read);
    }

    [Fact]
    public void Anything_but_a_number_of_the_type_is_refused_not_misread()
    {
        Assert.False(NumberArrays.TryRead<long>(MessagePackSerializer.Serialize(new object?[] { 1L, null }), out _));
        Assert.False(NumberArrays.TryRead<long>(MessagePackSerializer.Serialize(new object[] { 1L, "two" }), out _));
        Assert.False(NumberArrays.TryRead<long>(MessagePackSerializer.Serialize(new[] { 1.5 }), out _));
        Assert.False(NumberArrays.TryRead<long>(MessagePackSerializer.Serialize(new[] { ulong.MaxValue }), out _));
        Assert.False(NumberArrays.TryRead<double>(MessagePackSerializer.Serialize(new[] { 1L }), out _));

        var truncated = MessagePackSerializer.Serialize(new[] { long.MaxValue });
        Assert.False(NumberArrays.TryRead<long>(truncated.AsSpan(0, truncated.Length - 1), out _));
        Assert.False(NumberArrays.TryRead<long>([], out _));
    }

    [Fact]
    public void Reading_into_a_span_takes_exactly_the_header_count_and_refuses_any_other_length()
    {
        var written = Write(Boundaries);

        Assert.True(NumberArrays.TryReadCount(written, out var count));
        Assert.Equal(Boundaries.Length, count);
        var destination = new long[count];
        Assert.True(NumberArrays.TryRead<long>(written, destination));
        Assert.Equal(Boundaries, destination);
        Assert.False(NumberArrays.TryRead<long>(written, new long[count - 1]));
        Assert.False(NumberArrays.TryRead<long>(written, new long[count + 1]));
    }

    [Fact]
    public void A_header_counting_more_items_than_bytes_follow_is_refused()
    {
        Assert.False(NumberArrays.TryReadCount([0xdc, 0x00, 0x03, 0x01, 0x02], out _));
        Assert.False(NumberArrays.TryReadCount([], out _));
        Assert.True(NumberArrays.TryReadCount([0x92, 0x01, 0x02], out var count));
        Assert.Equal(2, count);
    }

    private static byte[] Write<T>(T[] values)
    {
        var buffer = new byte[5 + (values.Length * NumberArrays.MaxBytesPerItem)];
        var position = 0;
        NumberArrays.WriteArrayHeader(buffer, ref position, values.Length);
        foreach (var value in values)
        {
            NumberArrays.Write(buffer, ref position, value);
        }

        return buffer.AsSpan(0, position).ToArray();
    }
}
