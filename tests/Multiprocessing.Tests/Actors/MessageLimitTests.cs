using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Oversized payloads on every path that sends user data: Akka.Remote drops a frame above maximum-frame-size with only
/// a log line, so without a check the call would wait forever. Each path must fail at once with
/// <see cref="TaskSerializationException"/> naming multiprocessing.runtime.max-message-bytes (33,000,000 bytes by
/// default; the payloads here are 40 MB), and the object must keep working afterwards.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class MessageLimitTests
{
    private const int Oversized = 40_000_000;
    private const string Key = "multiprocessing.runtime.max-message-bytes";

    [Fact]
    public void Pool_task_whose_result_is_too_large_fails_with_TaskSerializationException_and_the_pool_goes_on()
    {
        // Python raises MaybeEncodingError for a result that cannot be sent back; here the chunk fails with the limit.
        using var pool = new Pool(1);

        var error = Assert.Throws<TaskSerializationException>(() => Bounded(() => pool.Apply(LimitTargets.MakeBytes, Oversized)));
        var mapError = Assert.Throws<TaskSerializationException>(
            () => Bounded(() => pool.Map(LimitTargets.MakeBytes, [10, Oversized, 10], chunksize: 1)));

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(LimitTargets.MakeBytes), error.Message, StringComparison.Ordinal);
        Assert.Contains(Key, mapError.Message, StringComparison.Ordinal);
        Assert.Equal([4, 9], Bounded(() => pool.Map(TaskFunctions.Square, [2, 3])));
    }

    [Fact]
    public void Pool_task_raising_an_exception_with_a_huge_message_fails_with_that_exception_cut_to_size()
    {
        // The error travels in one message too: a 40-million-character message is cut, not dropped with its task.
        using var pool = new Pool(1);

        var error = Assert.Throws<InvalidOperationException>(() => Bounded(() => pool.Apply(LimitTargets.RaiseHuge, Oversized)));

        Assert.StartsWith("xxxx", error.Message, StringComparison.Ordinal);
        Assert.Contains("characters cut", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 3_000_000, $"the message has {error.Message.Length} characters");
        Assert.Equal(9, Bounded(() => pool.Apply(TaskFunctions.Square, 3)));
    }

    [Fact]
    public void Pool_argument_that_is_too_large_fails_at_the_call()
    {
        using var pool = new Pool(1);

        var error = Assert.Throws<TaskSerializationException>(() => pool.ApplyAsync(LimitTargets.Length, new byte[Oversized]));

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains("chunksize", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, Bounded(() => pool.Apply(LimitTargets.Length, new byte[3])));
    }

    [Fact]
    public void Queue_Put_of_a_too_large_item_fails_at_the_call_and_the_queue_goes_on()
    {
        var queue = new Queue<byte[]>();

        var error = Assert.Throws<TaskSerializationException>(() => queue.Put(new byte[Oversized]));
        queue.Put([1, 2]);

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2], queue.Get(timeout: TestTimeout));
    }

    [Fact]
    public void Pipe_Send_of_a_too_large_value_fails_at_the_call_and_the_pipe_goes_on()
    {
        var (left, right) = Pipe.Create();

        var error = Assert.Throws<TaskSerializationException>(() => left.Send(new byte[Oversized]));
        left.Send(new byte[] { 7 });

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.True(right.Poll(TestTimeout));
        Assert.Equal([7], right.Recv<byte[]>());
    }

    [Fact]
    public void Manager_writes_and_answers_that_are_too_large_fail_with_TaskSerializationException_and_change_nothing()
    {
        using var manager = Manager.Start();
        var dict = manager.Dict<string, byte[]>();
        var list = manager.List<byte[]>();
        dict["small"] = [1];

        var set = Assert.Throws<TaskSerializationException>(() => dict["big"] = new byte[Oversized]);
        var update = Assert.Throws<TaskSerializationException>(
            () => dict.Update([new("a", new byte[Oversized / 2]), new("b", new byte[Oversized / 2])]));
        var extend = Assert.Throws<TaskSerializationException>(() => list.Extend([new byte[Oversized / 2], new byte[Oversized / 2]]));
        var value = Assert.Throws<TaskSerializationException>(() => manager.Value(new byte[Oversized]));
        var initial = Assert.Throws<TaskSerializationException>(() => manager.List([new byte[Oversized / 2], new byte[Oversized / 2]]));
        Assert.All(new[] { set, update, extend, value, initial }, e => Assert.Contains(Key, e.Message, StringComparison.Ordinal));
        Assert.Equal(["small"], Bounded(() => dict.Keys()));
        Assert.Equal(0, Bounded(() => list.Count));

        // Two values that fit one by one; read together the answer does not: the manager refuses it instead of
        // sending a frame the transport would drop.
        Bounded(() => dict["a"] = new byte[Oversized / 2]);
        Bounded(() => dict["b"] = new byte[Oversized / 2]);
        var read = Assert.Throws<TaskSerializationException>(() => Bounded(() => dict.Values()));
        Assert.Contains(Key, read.Message, StringComparison.Ordinal);
        Assert.Equal(Oversized / 2, Bounded(() => dict["a"]).Length);
    }

    [Fact]
    public void Process_with_too_large_arguments_fails_at_construction()
    {
        var error = Assert.Throws<TaskSerializationException>(() => new Process(LimitTargets.Consume, [new byte[Oversized]]));

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Task and process functions of <see cref="MessageLimitTests"/>.</summary>
public static class LimitTargets
{
    public static byte[] MakeBytes(int length) => new byte[length];

    public static int Length(byte[] bytes) => bytes.Length;

    public static void Consume(byte[] bytes) => GC.KeepAlive(bytes);

    public static int RaiseHuge(int length) => throw new InvalidOperationException(new string('x', length));
}
