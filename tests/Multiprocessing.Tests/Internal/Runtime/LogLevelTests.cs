using Akka.Configuration;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Tests.Internal.Runtime;

/// <summary><c>multiprocessing.runtime.log-level</c> sets Akka's log levels.</summary>
public sealed class LogLevelTests
{
    [Fact]
    public void The_default_level_is_the_reference_conf_one()
    {
        var config = MultiprocessingRuntime.WithLogLevel(MultiprocessingRuntime.DefaultConfig());

        Assert.Equal(MultiprocessingRuntime.DefaultConfig().GetString(MultiprocessingRuntime.LogLevelKey), config.GetString("akka.loglevel"));
        // Akka's stdout logger (start-up and shutdown only) keeps errors at the default level: its warnings there are
        // the connection noise of peers stopping, which the library's own logger filters.
        Assert.Equal("ERROR", config.GetString("akka.stdout-loglevel"));
    }

    [Theory]
    [InlineData("debug", "DEBUG")]
    [InlineData("INFO", "INFO")]
    [InlineData(" off ", "OFF")]
    public void The_key_sets_akka_loglevel_in_any_case(string value, string expected)
    {
        var config = ConfigurationFactory.ParseString($"{MultiprocessingRuntime.LogLevelKey} = \"{value}\"")
            .WithFallback(MultiprocessingRuntime.DefaultConfig());

        var effective = MultiprocessingRuntime.WithLogLevel(config);

        Assert.Equal(expected, effective.GetString("akka.loglevel"));
        Assert.Equal(expected, effective.GetString("akka.stdout-loglevel"));
    }

    [Fact]
    public void An_unknown_level_is_refused_with_the_choices()
    {
        var config = ConfigurationFactory.ParseString($"{MultiprocessingRuntime.LogLevelKey} = LOUD")
            .WithFallback(MultiprocessingRuntime.DefaultConfig());

        var error = Assert.Throws<ConfigurationException>(() => MultiprocessingRuntime.WithLogLevel(config));

        Assert.Contains("OFF, ERROR, WARNING, INFO or DEBUG", error.Message, StringComparison.Ordinal);
        Assert.Contains("LOUD", error.Message, StringComparison.Ordinal);
    }
}
