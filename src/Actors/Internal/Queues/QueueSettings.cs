using Akka.Configuration;

namespace Multiprocessing.Internal.Queues;

/// <summary>The <c>multiprocessing.queues</c> section. Defaults live only in reference.conf.</summary>
/// <param name="Prefetch">The most items one get asks for (read in the consumer's process); 1 turns prefetch off.</param>
/// <param name="PutBatch">The most puts sent together in one message (read in the producer's process); 1 turns batching off.</param>
/// <param name="BatchMaxBytes">The size bound of one batch of items, fetched or put.</param>
internal sealed record QueueSettings(int Prefetch, int PutBatch, long BatchMaxBytes)
{
    /// <summary>Reads and checks the section.</summary>
    /// <exception cref="ArgumentException">A value is negative.</exception>
    public static QueueSettings Create(Config config)
    {
        var section = config.GetConfig("multiprocessing.queues")
            ?? throw new InvalidOperationException("The configuration has no multiprocessing.queues section.");
        var prefetch = section.GetInt("prefetch");
        var putBatch = section.GetInt("put-batch");
        var maxBytes = section.GetLong("batch-max-bytes");
        if (prefetch < 0 || putBatch < 0 || maxBytes < 0)
        {
            throw new ArgumentException(
                $"multiprocessing.queues.prefetch ({prefetch}), put-batch ({putBatch}) and batch-max-bytes ({maxBytes}) " +
                "must not be negative; use 0 or 1 to turn prefetch or put batching off.");
        }

        return new QueueSettings(Math.Max(prefetch, 1), Math.Max(putBatch, 1), maxBytes);
    }
}
