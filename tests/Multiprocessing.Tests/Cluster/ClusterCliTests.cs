using Multiprocessing.Host.Cluster;
using Multiprocessing.Host.Commands;

namespace Multiprocessing.Tests.Cluster;

/// <summary><c>mp host</c>, <c>mp worker</c> and <c>mp status</c> parsed in-process: help, bad options (exit 2), config layers.</summary>
public sealed class ClusterCliTests
{
    [Theory]
    [InlineData("worker")]
    [InlineData("worker --join 127.0.0.1")]
    [InlineData("worker --join 127.0.0.1:25520 --processes 0")]
    [InlineData("worker --join 127.0.0.1:99999")]
    [InlineData("worker --join 127.0.0.1:25520 --app /nonexistent/app.dll")]
    [InlineData("host --port 70000")]
    [InlineData("host --set novalue")]
    [InlineData("status")]
    [InlineData("status --host 127.0.0.1:25520 --interval 0")]
    [InlineData("host --no-such-option")]
    public async Task Bad_options_print_what_is_wrong_and_exit_2(string args)
    {
        var (code, _, error) = await RunAsync(args.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains("mp:", error);
        Assert.Contains("--help", error);
    }

    [Theory]
    [InlineData("host", "--config|--set|--hostname|--port|--authkey-file|--print-config")]
    [InlineData("worker", "--join|--processes|--app|--config|--set|--hostname|--port|--authkey-file")]
    [InlineData("status", "--host|--json|--watch|--interval|--authkey-file")]
    public async Task Help_lists_the_options(string command, string options)
    {
        var (code, output, _) = await RunAsync([command, "--help"]);
        Assert.Equal(0, code);
        foreach (var option in options.Split('|'))
        {
            Assert.Contains(option, output);
        }
    }

    [Fact]
    public async Task Print_config_shows_the_layers_with_flags_winning()
    {
        var file = Path.Combine(Path.GetTempPath(), $"mp-test-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(file, "multiprocessing.cluster.fetch-timeout = 11s\nmultiprocessing.cluster.status-timeout = 4s\n");
        try
        {
            var (code, output, error) = await RunAsync(
                ["host", "--print-config", "--config", file, "--set", "multiprocessing.cluster.fetch-timeout=7s", "--hostname", "127.0.0.2"]);
            Assert.True(code == 0, error);

            // --set beats --config; --config beats reference.conf; host.conf and common.conf are there.
            Assert.Matches(@"fetch-timeout\s*:\s*7s", output);
            Assert.Matches(@"status-timeout\s*:\s*4s", output);
            Assert.Matches(@"attach-timeout\s*:\s*10s", output);
            Assert.Matches(@"hostname\s*:\s*""?127\.0\.0\.2", output);
            Assert.Matches(@"port\s*:\s*25520", output);
            Assert.Contains("keep-oldest", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Config_layers_put_the_worker_file_above_common()
    {
        var config = ConfigLoader.Load("worker", [], ["akka.cluster.roles=[\"worker\", \"gpu\"]"], null, 0);
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal(0, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["worker", "gpu"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
    }

    [Fact]
    public void A_set_value_that_is_not_hocon_becomes_a_string()
    {
        Assert.Equal("a.b = 3", ConfigLoader.RenderSet("a.b=3"));
        Assert.Equal("a.b = \"x{y\"", ConfigLoader.RenderSet("a.b=x{y"));
        Assert.Equal("a.b = \"akka.tcp://mp@10.0.0.1:25520\"", ConfigLoader.RenderSet("a.b=akka.tcp://mp@10.0.0.1:25520"));
        Assert.Equal("a.b = [1, 2]", ConfigLoader.RenderSet("a.b=[1, 2]"));
        Assert.Throws<ArgumentException>(() => ConfigLoader.RenderSet("=3"));
    }

    [Fact]
    public async Task Worker_without_an_authkey_is_a_usage_error()
    {
        var previous = Environment.GetEnvironmentVariable(AuthKeys.EnvironmentVariable);
        Environment.SetEnvironmentVariable(AuthKeys.EnvironmentVariable, null);
        try
        {
            var (code, _, error) = await RunAsync(["worker", "--join", "127.0.0.1:25520"]);
            Assert.Equal(2, code);
            Assert.Contains(AuthKeys.EnvironmentVariable, error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AuthKeys.EnvironmentVariable, previous);
        }
    }

    [Fact]
    public void A_short_authkey_is_refused_with_the_minimum()
    {
        var file = Path.Combine(Path.GetTempPath(), $"mp-key-{Guid.NewGuid():N}");
        File.WriteAllText(file, "short");
        try
        {
            var error = Assert.Throws<ArgumentException>(() => AuthKeys.Find(file));
            Assert.Contains("16 bytes", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MpCommand.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
