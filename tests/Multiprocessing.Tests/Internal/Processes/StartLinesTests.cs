using Multiprocessing.Internal.Processes;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Processes.ProcessProtocol;

namespace Multiprocessing.Tests.Internal.Processes;

/// <summary>The lines a parent writes to a child's stdin: every field comes back, and a damaged line is refused.</summary>
public sealed class StartLinesTests
{
    [Fact]
    public void Secrets_come_back_with_every_field()
    {
        var keys = new Dictionary<string, byte[]> { ["akka.tcp://mp@127.0.0.1:1"] = [1, 2, 3], ["akka.tcp://mp@127.0.0.1:2"] = [] };
        var secrets = new ChildSecrets("token-1", keys, [9, 8, 7], "akka.remote.dot-netty.tcp.hostname = \"127.0.0.2\"");

        var decoded = StartLines.DecodeSecrets(StartLines.Encode(secrets));

        Assert.Equal("token-1", decoded.Token);
        Assert.Equal(keys.OrderBy(k => k.Key), decoded.Keys.OrderBy(k => k.Key));
        Assert.Equal([9, 8, 7], decoded.ManagerKey);
        Assert.Equal(secrets.RuntimeOverrides, decoded.RuntimeOverrides);
    }

    [Fact]
    public void Secrets_without_a_manager_key_or_overrides_come_back_without_them()
    {
        var decoded = StartLines.DecodeSecrets(StartLines.Encode(new ChildSecrets(string.Empty, new Dictionary<string, byte[]>(), null)));

        Assert.Equal(string.Empty, decoded.Token);
        Assert.Empty(decoded.Keys);
        Assert.Null(decoded.ManagerKey);
        Assert.Null(decoded.RuntimeOverrides);
    }

    [Fact]
    public void An_assignment_comes_back_with_its_arguments_in_order()
    {
        var assignment = new ChildAssignment("pool-worker", ["--id", "3", "--pool", "akka.tcp://mp@127.0.0.1:5/user/pool"], "t", new Dictionary<string, byte[]> { ["a"] = [4] });

        var decoded = StartLines.DecodeAssignment(StartLines.Encode(assignment));

        Assert.Equal("pool-worker", decoded.Role);
        Assert.Equal(assignment.Arguments, decoded.Arguments);
        Assert.Equal("t", decoded.Token);
        Assert.Equal([4], decoded.Keys["a"]);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("kw==")]
    [InlineData("lKN0b2s=")]
    public void A_damaged_line_is_refused_with_FormatException(string line) =>
        Assert.Throws<FormatException>(() => StartLines.DecodeSecrets(line));
}
