using System.Security.Authentication;
using System.Text;
using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>A manager serving other processes at an address, with an authkey (M-09, M-10).</summary>
[Collection(ProcessCollection.Name)]
public sealed class RemoteManagerTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("remote-manager-test-key-0123456789");

    [Fact]
    public void Connect_with_the_authkey_reaches_shared_objects_from_another_process_M09()
    {
        var address = $"127.0.0.1:{FreePort()}";
        using var manager = Manager.Start(address, Key);
        var shared = manager.Dict<string, int>();
        shared["parent"] = 41;
        manager.Share("shared", shared);

        var child = new Process(Children.UseShared, [address, Key]);
        child.Start();
        child.Join(TimeSpan.FromSeconds(60));

        Assert.Equal(0, child.ExitCode);
        Assert.Equal(42, shared["child"]);
    }

    [Fact]
    public void Connect_with_a_wrong_authkey_raises_AuthenticationException_M10()
    {
        var address = $"127.0.0.1:{FreePort()}";
        using var manager = Manager.Start(address, Key);

        var child = new Process(Children.ConnectWithWrongKey, [address]);
        child.Start();
        child.Join(TimeSpan.FromSeconds(60));

        // The child's unhandled exception comes back with its type (pain point 20).
        Assert.Equal(1, child.ExitCode);
        Assert.IsType<AuthenticationException>(child.Exception);
    }

    [Fact]
    public void Get_raises_KeyNotFoundException_for_a_name_nobody_shared()
    {
        using var manager = Manager.Start($"127.0.0.1:{FreePort()}", Key);

        Assert.Throws<KeyNotFoundException>(() => manager.Get<DictProxy<string, int>>("missing"));
    }

    [Theory]
    [InlineData("no-port")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    public void Start_rejects_a_malformed_address(string address)
    {
        Assert.Throws<ArgumentException>(() => Manager.Start(address, Key));
    }

    [Fact]
    public void Start_rejects_a_short_authkey()
    {
        Assert.Throws<ArgumentException>(() => Manager.Start($"127.0.0.1:{FreePort()}", [1, 2, 3]));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>What the child processes run.</summary>
    public static class Children
    {
        public static void UseShared(string address, byte[] key)
        {
            var client = Manager.Connect(address, key);
            var shared = client.Get<DictProxy<string, int>>("shared");
            shared["child"] = shared["parent"] + 1;
        }

        public static void ConnectWithWrongKey(string address) =>
            Manager.Connect(address, Encoding.UTF8.GetBytes("this-is-not-the-right-key"));
    }
}
