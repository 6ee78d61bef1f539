using Multiprocessing.Host.Commands;

namespace Multiprocessing.Tests.Host;

/// <summary><c>mp --verbose</c>: a global option that turns on the library's debug log.</summary>
public sealed class VerboseOptionTests
{
    [Theory]
    [InlineData("--verbose", "version")]
    [InlineData("version", "--verbose")]
    [InlineData("bench", "--quick", "--verbose")]
    public void Verbose_parses_before_or_after_any_command_and_asks_for_debug_logs(params string[] args)
    {
        var parse = MpCommand.Create().Parse(args);

        Assert.Empty(parse.Errors);
        Assert.True(parse.GetValue(MpCommand.Verbose));
        Assert.Equal("multiprocessing.runtime.log-level = DEBUG", MpCommand.LogOverrides(parse));
    }

    [Fact]
    public void Without_verbose_the_log_level_is_left_alone()
    {
        var parse = MpCommand.Create().Parse(["version"]);

        Assert.Empty(parse.Errors);
        Assert.Null(MpCommand.LogOverrides(parse));
    }

    [Fact]
    public async Task Help_lists_the_verbose_option()
    {
        using var output = new StringWriter();

        var code = await MpCommand.RunAsync(["--help"], output, TextWriter.Null);

        Assert.Equal(0, code);
        Assert.Contains("--verbose", output.ToString(), StringComparison.Ordinal);
    }
}
