using MessagePack;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Pooling;

namespace Multiprocessing.Tests.Internal.Pooling;

/// <summary>
/// A map's chunk results are decoded straight into the map's result list, and workers run chunks of plain numbers
/// from pooled buffers: the same values as the general path, and a chunk that does not fit fails the map cleanly.
/// </summary>
public sealed class ChunkDecoderTests
{
    private static readonly FunctionSpec SquareSpec =
        FunctionSpec.Create(new Func<long, long>(Square), typeof(long), typeof(long), ArgsShape.Single, "func");

    private static readonly FunctionSpec DescribeSpec =
        FunctionSpec.Create(new Func<long, string>(Describe), typeof(long), typeof(string), ArgsShape.Single, "func");

    [Fact]
    public void Numbers_and_other_values_decode_into_their_slice_of_the_destination()
    {
        var longs = new long[6];
        ChunkDecoder.DecodeInto(MessagePackSerializer.Serialize(new[] { 7L, -1L, long.MaxValue }), longs.AsSpan(2, 3), "f");
        Assert.Equal([0, 0, 7, -1, long.MaxValue, 0], longs);

        var strings = new string?[3];
        ChunkDecoder.DecodeInto(MessagePackSerializer.Serialize(new[] { "a", "b" }), strings.AsSpan(1, 2), "f");
        Assert.Equal(new string?[] { null, "a", "b" }, strings);
    }

    [Fact]
    public void A_result_count_that_differs_from_the_chunk_is_a_TaskSerializationException()
    {
        var results = MessagePackSerializer.Serialize(new[] { 1L, 2L });

        Assert.Throws<TaskSerializationException>(() => ChunkDecoder.DecodeInto(results, new long[3], "f"));
        Assert.Throws<TaskSerializationException>(() => ChunkDecoder.DecodeInto(results, new long[1], "f"));
        Assert.Throws<TaskSerializationException>(() => ChunkDecoder.DecodeInto(MessagePackSerializer.Serialize(new[] { "x" }), new long[1], "f"));
    }

    [Fact]
    public async Task A_MapJob_fills_its_list_in_input_order_and_ignores_a_second_result_for_a_finished_chunk()
    {
        var result = new AsyncResult<IReadOnlyList<long>>(null, null, null);
        var job = new MapJob<long>(SquareSpec, result, [0, 2], 3);

        job.ChunkSucceeded(1, MessagePackSerializer.Serialize(new[] { 4L }));
        job.ChunkSucceeded(1, MessagePackSerializer.Serialize(new[] { 99L }));
        Assert.False(result.Ready);
        job.ChunkSucceeded(0, MessagePackSerializer.Serialize(new[] { 0L, 1L }));

        Assert.Equal([0, 1, 4], await result.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_MapJob_whose_chunk_results_cannot_be_read_fails_once_every_chunk_finished()
    {
        var result = new AsyncResult<IReadOnlyList<long>>(null, null, null);
        var job = new MapJob<long>(SquareSpec, result, [0, 2], 3);

        job.ChunkSucceeded(0, MessagePackSerializer.Serialize(new[] { 0L, 1L, 4L }));
        Assert.False(result.Ready);
        Assert.False(job.IsComplete);
        job.ChunkSucceeded(1, MessagePackSerializer.Serialize(new[] { 4L }));

        await Assert.ThrowsAsync<TaskSerializationException>(() => result.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(job.IsComplete);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(40_000)]
    public void A_chunk_of_numbers_runs_to_the_bytes_the_general_path_writes(int count)
    {
        var items = Enumerable.Range(0, count).Select(i => (long)i * 1_000_003).ToArray();
        var args = ChunkBuilder.Encode(items, 0, "f");

        Assert.Equal(MessagePackSerializer.Serialize(items.Select(Square).ToArray()), TaskRunner.For(SquareSpec).RunChunk(args));
        Assert.Equal(MessagePackSerializer.Serialize(items.Select(Describe).ToArray()), TaskRunner.For(DescribeSpec).RunChunk(args));

        // Twice, so the second run reuses the pooled buffers of the first.
        Assert.Equal(MessagePackSerializer.Serialize(items.Select(Square).ToArray()), TaskRunner.For(SquareSpec).RunChunk(args));
    }

    [Fact]
    public void Runners_call_static_methods_lambdas_and_functions_that_take_a_token_with_the_chunk_token()
    {
        var args = ChunkBuilder.Encode(new long[] { 2, 3 }, 0, "f");
        var lambda = FunctionSpec.Create(new Func<long, long>(x => x + 1), typeof(long), typeof(long), ArgsShape.Single, "func");
        var withToken = FunctionSpec.Create(
            new Func<long, CancellationToken, long>(WithToken), typeof(long), typeof(long), ArgsShape.Single, "func");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Equal(MessagePackSerializer.Serialize(new[] { 3L, 4L }), TaskRunner.For(lambda).RunChunk(args));
        Assert.True(TaskRunner.For(withToken).TakesToken);
        Assert.Equal(MessagePackSerializer.Serialize(new[] { 2L, 3L }), TaskRunner.For(withToken).RunChunk(args));
        Assert.Equal(MessagePackSerializer.Serialize(new[] { -2L, -3L }), TaskRunner.For(withToken).RunChunk(args, cancelled.Token));
    }

    private static long WithToken(long x, CancellationToken cancellationToken) => cancellationToken.IsCancellationRequested ? -x : x;

    private static long Square(long x) => x * x;

    private static string Describe(long x) => $"#{x}";
}
