using Akka.Event;
using DotNetty.Codecs;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Tests.Internal.Runtime;

/// <summary>
/// How the processes' logger reports a connection that sent bytes which are not Akka's protocol (see
/// WireGarbageTests for the processes surviving it): one warning line naming the decoder's error, no stack trace.
/// </summary>
public sealed class QuietLoggerTests
{
    private const string Channel = "Error caught channel [[::ffff:127.0.0.1]:46041->[::ffff:127.0.0.1]:52300](Id=68fea94f)";

    [Fact]
    public void A_frame_longer_than_the_limit_is_reported_in_one_line_naming_the_error()
    {
        var error = new Error(new TooLongFrameException("Adjusted frame length exceeds 33554432: 41740296 - discarded"), "TcpServerHandler", typeof(QuietLoggerTests), Channel);

        var line = QuietLogger.DescribeBadInput(error);

        Assert.NotNull(line);
        Assert.DoesNotContain('\n', line);
        Assert.Contains("TooLongFrameException: Adjusted frame length exceeds 33554432", line, StringComparison.Ordinal);
        Assert.Contains("not Akka's protocol", line, StringComparison.Ordinal);
        Assert.Contains(Channel, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_decoding_error_wrapped_in_another_exception_is_found()
    {
        var cause = new InvalidOperationException("Error while decoding incoming Akka PDU of length 5923330", new CorruptedFrameException("bad frame"));

        var line = QuietLogger.DescribeBadInput(new Error(cause, "AkkaProtocolManager", typeof(QuietLoggerTests), "decode failed"));

        Assert.Contains("CorruptedFrameException: bad frame", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_errors_and_warnings_are_left_as_they_are()
    {
        var other = new Error(new InvalidOperationException("boom"), "x", typeof(QuietLoggerTests), "failed");
        var warning = new Warning(new TooLongFrameException("long"), "x", typeof(QuietLoggerTests), "a warning");

        Assert.Null(QuietLogger.DescribeBadInput(other));
        Assert.Null(QuietLogger.DescribeBadInput(warning));
    }
}
