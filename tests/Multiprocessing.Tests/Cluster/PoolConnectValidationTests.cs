using System.Text;

namespace Multiprocessing.Tests.Cluster;

/// <summary>
/// <c>Pool.Connect</c> and <c>PoolOptions.Host</c> refuse bad input with a clear error before any cluster is contacted
/// (the port below has no host: a test that reached the network would fail with ClusterUnavailableException instead).
/// </summary>
public sealed class PoolConnectValidationTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef");

    [Theory]
    [InlineData("no-port")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    public void A_host_that_is_not_host_port_is_refused(string host)
    {
        var error = Assert.Throws<ArgumentException>(() => Pool.Connect(host, Key));
        Assert.Contains("host:port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_authkey_is_refused_with_the_minimum()
    {
        var error = Assert.Throws<ArgumentException>(() => Pool.Connect("127.0.0.1:1", Encoding.UTF8.GetBytes("short")));
        Assert.Contains("16 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_without_an_authkey_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new Pool(new PoolOptions { Host = "127.0.0.1:1" }));
        Assert.Contains("AuthKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_pool_options_are_refused_before_the_host_is_contacted()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Pool.Connect("127.0.0.1:1", Key, new PoolOptions { MaxTasksPerChild = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pool.Connect("127.0.0.1:1", Key, new PoolOptions { Processes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pool.Connect("127.0.0.1:1", Key, new PoolOptions { MaxMemoryPerChild = -1 }));
    }
}
