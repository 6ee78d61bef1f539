using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Internal.Serialization;

/// <summary>
/// The largest message one process may send another (<c>multiprocessing.runtime.max-message-bytes</c>). Akka.Remote
/// drops a frame above <c>maximum-frame-size</c> with only a log line, and a call waiting for its answer would hang;
/// every path that sends user data checks here first, so an oversized value fails at once with an error naming the
/// limit and the setting that raises it.
/// </summary>
internal static class MessageLimit
{
    /// <summary>The configuration key of the limit.</summary>
    public const string Key = "multiprocessing.runtime.max-message-bytes";

    private const string FrameKey = "multiprocessing.runtime.akka.remote.dot-netty.tcp.maximum-frame-size";

    private static readonly Lazy<long> Limit = new(() => MultiprocessingRuntime.Config.GetLong(Key));

    /// <summary>The limit in bytes, read once from this process's configuration.</summary>
    public static long MaxBytes => Limit.Value;

    /// <summary>Throws <see cref="TaskSerializationException"/> when <paramref name="bytes"/> exceed the limit.</summary>
    /// <param name="bytes">The encoded size.</param>
    /// <param name="what">What was encoded, as the start of a sentence ("The item put on the queue of type X").</param>
    /// <param name="advice">What the caller can do instead, as a sentence.</param>
    public static void Check(long bytes, string what, string advice = "Send smaller values.")
    {
        if (bytes > MaxBytes)
        {
            throw TooLarge(bytes, what, advice);
        }
    }

    /// <summary>The error for a message of <paramref name="bytes"/> bytes.</summary>
    public static TaskSerializationException TooLarge(long bytes, string what, string advice = "Send smaller values.") =>
        new($"{what} encodes to {bytes} bytes, more than one message between processes may carry ({Key} = {MaxBytes} bytes). " +
            $"{advice} Or raise that key in every process, together with {FrameKey}.");
}
