using Akka.Configuration;

namespace Multiprocessing.Internal.Queues;

/// <summary>The <c>multiprocessing.queues</c> section. Defaults live only in reference.conf.</summary>
/// <param name="Prefetch">The most items one get asks for (read in the consumer's process); 1 turns prefetch off.</param>
/// <param name="PrefetchMaxBytes">The size bound of one batch (read in the process that holds the queue).</param>
internal sealed record QueueSettings(int Prefetch, long PrefetchMaxBytes)
{
    /// <summary>Reads and checks the section.</summary>
    /// <exception cref="ArgumentException">A value is negative.</exception>
    public static QueueSettings Create(Config config)
    {
        var section = config.GetConfig("multiprocessing.queues")
            ?? throw new InvalidOperationException("The configuration has no multiprocessing.queues section.");
        var prefetch = section.GetInt("prefetch");
        var maxBytes = section.GetLong("prefetch-max-bytes");
        if (prefetch < 0 || maxBytes < 0)
        {
            throw new ArgumentException(
                $"multiprocessing.queues.prefetch ({prefetch}) and prefetch-max-bytes ({maxBytes}) must not be negative; " +
                "use 0 or 1 to turn prefetch off.");
        }

        return new QueueSettings(Math.Max(prefetch, 1), maxBytes);
    }
}
