using Multiprocessing.Tests.TestSupport;
using static Multiprocessing.Tests.Actors.SyncTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="Pipe"/> and <see cref="Connection"/> in this process and between a parent and real child OS processes:
/// values both ways, EOF (<see cref="EndOfStreamException"/>, Python's <c>EOFError</c>) after the other end closes or
/// its process dies, and one-way pipes.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PipeTests
{
    // ----- this process -----

    [Fact]
    public void Send_and_Recv_carry_values_both_ways_in_order()
    {
        var (left, right) = Pipe.Create();

        left.Send(1);
        left.Send(2);
        right.Send(new Sample("three", [3]));

        Assert.Equal(1, RecvWithin<int>(right));
        Assert.Equal(2, RecvWithin<int>(right));
        var sample = RecvWithin<Sample>(left);
        Assert.Equal("three", sample.Name);
        Assert.Equal([3], sample.Values);
    }

    [Fact]
    public void Poll_is_false_when_nothing_waits_and_true_once_a_value_or_EOF_is_there()
    {
        var (left, right) = Pipe.Create();

        Assert.False(right.Poll());
        Assert.False(right.Poll(TimeSpan.FromMilliseconds(100)));
        left.Send("x");
        Assert.True(right.Poll(Within));
        Assert.Equal("x", RecvWithin<string>(right));
        left.Close();
        Assert.True(right.Poll());
    }

    [Fact]
    public void Recv_returns_the_values_sent_before_Close_then_throws_EndOfStreamException()
    {
        var (left, right) = Pipe.Create();
        left.Send(1);
        left.Send(2);

        left.Close();

        Assert.Equal(1, RecvWithin<int>(right));
        Assert.Equal(2, RecvWithin<int>(right));
        Assert.Throws<EndOfStreamException>(() => RecvWithin<int>(right));
        Assert.Throws<EndOfStreamException>(() => RecvWithin<int>(right));
    }

    [Fact]
    public void Send_throws_IOException_when_the_other_end_is_closed()
    {
        var (left, right) = Pipe.Create();

        right.Close();

        Assert.Throws<IOException>(() => left.Send(1));
    }

    [Fact]
    public void Methods_of_a_closed_connection_throw_ObjectDisposedException_and_Close_twice_does_nothing()
    {
        var (left, _) = Pipe.Create();

        left.Close();
        left.Close();

        Assert.True(left.Closed);
        Assert.Throws<ObjectDisposedException>(() => left.Send(1));
        Assert.Throws<ObjectDisposedException>(() => left.Recv<int>());
        Assert.Throws<ObjectDisposedException>(() => left.Poll());
    }

    [Fact]
    public void Send_throws_TaskSerializationException_in_the_call_for_an_unserializable_value()
    {
        var (left, right) = Pipe.Create();

        Assert.Throws<TaskSerializationException>(() => left.Send<Func<int>>(() => 1));

        Assert.False(right.Poll());
    }

    [Fact]
    public void One_way_pipe_receives_on_the_first_connection_and_sends_on_the_second_only()
    {
        var (reader, writer) = Pipe.Create(duplex: false);

        Assert.Throws<InvalidOperationException>(() => reader.Send(1));
        Assert.Throws<InvalidOperationException>(() => RecvWithin<int>(writer));

        writer.Send(5);
        Assert.Equal(5, RecvWithin<int>(reader));
    }

    [Fact]
    public async Task RecvAsync_cancelled_throws_OperationCanceledException_and_a_later_value_is_not_lost()
    {
        var (left, right) = Pipe.Create();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => right.RecvAsync<int>(cancel.Token).WaitAsync(Within));

        await left.SendAsync(8);
        Assert.Equal(8, await right.RecvAsync<int>().WaitAsync(Within));
    }

    // ----- other processes -----

    [Fact]
    public void Values_travel_from_the_parent_to_a_child_and_back()
    {
        var (parent, child) = Pipe.Create();
        var process = StartChild(Children.Doubler, child);
        try
        {
            parent.Send(21);
            parent.Send(-4);

            Assert.Equal(42, RecvWithin<int>(parent));
            Assert.Equal(-8, RecvWithin<int>(parent));
            parent.Close();
            AssertExitsCleanly(process);
        }
        finally
        {
            KillIfAlive(process);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Recv_in_the_parent_throws_EndOfStreamException_after_the_child_closes_its_end_or_exits(bool close)
    {
        var (parent, child) = Pipe.Create();
        var process = StartChild(Children.SendCount, child, 3, close);
        try
        {
            Assert.Equal([1, 2, 3], new[] { RecvWithin<int>(parent), RecvWithin<int>(parent), RecvWithin<int>(parent) });

            Assert.Throws<EndOfStreamException>(() => RecvWithin<int>(parent));
            AssertExitsCleanly(process);
        }
        finally
        {
            KillIfAlive(process);
        }
    }

    [Fact]
    public void Recv_in_the_parent_throws_EndOfStreamException_after_the_child_is_killed()
    {
        var (parent, child) = Pipe.Create();
        var process = StartChild(Children.SendReadyThenBlock, child);
        try
        {
            Assert.Equal("ready", RecvWithin<string>(parent));

            process.Kill();

            Assert.Throws<EndOfStreamException>(() => RecvWithin<int>(parent));
            Assert.Throws<IOException>(() => parent.Send(1));
        }
        finally
        {
            KillIfAlive(process);
        }
    }

    [Fact]
    public void Recv_in_a_child_throws_EndOfStreamException_after_the_parent_closes_its_end()
    {
        var (parent, child) = Pipe.Create();
        var process = StartChild(Children.ReceiveUntilEof, child);
        try
        {
            parent.Send(1);
            parent.Send(2);
            parent.Close();

            AssertExitsCleanly(process);
        }
        finally
        {
            KillIfAlive(process);
        }
    }

    [Fact]
    public void Close_in_the_parent_of_the_end_passed_to_a_child_closes_only_the_parent_copy()
    {
        // Python's idiom: the parent closes its copy of the child's end after start; the child keeps using it.
        var (parent, child) = Pipe.Create();
        var process = StartChild(Children.SendCount, child, 2, false);
        try
        {
            child.Close();

            Assert.Equal(1, RecvWithin<int>(parent));
            Assert.Equal(2, RecvWithin<int>(parent));
            Assert.Throws<EndOfStreamException>(() => RecvWithin<int>(parent));
            AssertExitsCleanly(process);
        }
        finally
        {
            KillIfAlive(process);
        }
    }

    [Fact]
    public void One_way_pipe_carries_values_from_a_child_that_holds_the_sending_end()
    {
        var (reader, writer) = Pipe.Create(duplex: false);
        var process = StartChild(Children.SendCount, writer, 2, true);
        try
        {
            Assert.Equal(1, RecvWithin<int>(reader));
            Assert.Equal(2, RecvWithin<int>(reader));
            Assert.Throws<EndOfStreamException>(() => RecvWithin<int>(reader));
            AssertExitsCleanly(process);
        }
        finally
        {
            KillIfAlive(process);
        }
    }

    /// <summary>A bounded <see cref="Connection.Recv{T}"/>: a missing value fails the test instead of hanging it.</summary>
    private static T RecvWithin<T>(Connection connection)
    {
        using var cancel = new CancellationTokenSource(Within);
        return connection.RecvAsync<T>(cancel.Token).GetAwaiter().GetResult();
    }

    /// <summary>A plain record sent through a pipe.</summary>
    public sealed record Sample(string Name, int[] Values);

    /// <summary>Child targets: public static methods that run in other processes.</summary>
    public static class Children
    {
        public static void Doubler(Connection connection)
        {
            while (true)
            {
                int value;
                try
                {
                    value = RecvWithin<int>(connection);
                }
                catch (EndOfStreamException)
                {
                    return;
                }

                connection.Send(value * 2);
            }
        }

        public static void SendCount(Connection connection, int count, bool close)
        {
            for (var i = 1; i <= count; i++)
            {
                connection.Send(i);
            }

            if (close)
            {
                connection.Close();
            }
        }

        public static void SendReadyThenBlock(Connection connection)
        {
            connection.Send("ready");
            Thread.Sleep(Within);
        }

        public static void ReceiveUntilEof(Connection connection)
        {
            Check(RecvWithin<int>(connection) == 1, "The first value is not 1.");
            Check(RecvWithin<int>(connection) == 2, "The second value is not 2.");
            try
            {
                RecvWithin<int>(connection);
            }
            catch (EndOfStreamException)
            {
                return;
            }

            throw new InvalidOperationException("Recv returned a value although the parent closed its end.");
        }
    }
}
