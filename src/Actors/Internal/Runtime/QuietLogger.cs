using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Multiprocessing.Internal.Runtime;

/// <summary>
/// The console logger of the processes the library owns, on stderr so it never mixes with a program's output. It drops the "association failed / disassociated" noise
/// Akka.Remote prints when a peer process stops (a worker leaving is normal here, and a dead one is reported by
/// the pool itself), and prints everything else as Akka's standard logger does.
/// </summary>
internal sealed class QuietLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public QuietLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (DescribeBadInput(e) is { } line)
            {
                Console.Error.WriteLine(line);
            }
            else if (!IsDisassociationNoise(e))
            {
                Console.Error.WriteLine(e.ToString());
            }
        });
    }

    /// <summary>
    /// An inbound connection that sent bytes which are not Akka's protocol (a stray client, a port scanner, a broken
    /// peer): Akka.Remote closes only that connection and logs an error with a stack trace. One line says the same.
    /// </summary>
    internal static string? DescribeBadInput(LogEvent e)
    {
        if (e is not Error)
        {
            return null;
        }

        for (var ex = e.Cause; ex is not null; ex = ex.InnerException)
        {
            if (ex.GetType().FullName is "DotNetty.Codecs.TooLongFrameException" or "DotNetty.Codecs.CorruptedFrameException"
                or "Akka.Remote.Transport.PduCodecException" or "Google.Protobuf.InvalidProtocolBufferException")
            {
                return $"[WARNING][{e.Timestamp:MM/dd/yyyy HH:mm:ss.fff}Z][{e.LogSource}] Closed a connection that sent data which is not " +
                    $"Akka's protocol ({ex.GetType().Name}: {ex.Message}); other connections are not affected. {e.Message}";
            }
        }

        return null;
    }

    internal static bool IsDisassociationNoise(LogEvent e)
    {
        if (e is not (Warning or Error))
        {
            return false;
        }

        if (e.Cause?.GetType().Name is "EndpointDisassociatedException" or "ShutDownAssociation" or "InvalidAssociation")
        {
            return true;
        }

        var text = e.Message?.ToString() ?? string.Empty;
        return text.Contains("Disassociated", StringComparison.Ordinal)
            || text.StartsWith("Detected unreachable", StringComparison.Ordinal)
            || text.StartsWith("Unable to REMOVE channel", StringComparison.Ordinal)
            || text.StartsWith("Tried to associate with unreachable remote address", StringComparison.Ordinal)
            || (text.StartsWith("Association to", StringComparison.Ordinal) && text.Contains("quarantined", StringComparison.Ordinal))
            || (text.StartsWith("swallowing exception during message send", StringComparison.Ordinal)
                && e.Cause?.Message.Contains("Remoting is not running", StringComparison.Ordinal) == true)
            || (text.StartsWith("Association with remote system", StringComparison.Ordinal)
                && text.Contains("has failed", StringComparison.Ordinal));
    }
}
