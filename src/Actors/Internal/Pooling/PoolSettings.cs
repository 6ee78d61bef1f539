using Akka.Configuration;

namespace Multiprocessing.Internal.Pooling;

/// <summary>The <c>multiprocessing.pool</c> section, read once. Defaults live only in reference.conf.</summary>
internal sealed record PoolSettings(
    int PrefetchMin,
    int PrefetchMax,
    TimeSpan PrefetchTarget,
    int ResultBatchMax,
    int ImapBufferPerWorker,
    long MaxChunkBytes,
    int MaxRetries,
    TimeSpan WorkerStartTimeout,
    int MaxStartFailures,
    TimeSpan TerminateGrace)
{
    public static PoolSettings Create(Config config)
    {
        var section = config.GetConfig("multiprocessing.pool")
            ?? throw new InvalidOperationException("The configuration has no multiprocessing.pool section.");
        var settings = new PoolSettings(
            section.GetInt("prefetch-min"),
            section.GetInt("prefetch-max"),
            section.GetTimeSpan("prefetch-target"),
            section.GetInt("result-batch-max"),
            section.GetInt("imap-buffer-per-worker"),
            section.GetLong("max-chunk-bytes"),
            section.GetInt("max-retries"),
            section.GetTimeSpan("worker-start-timeout"),
            section.GetInt("max-start-failures"),
            section.GetTimeSpan("terminate-grace"));
        if (settings.PrefetchMin < 1 || settings.PrefetchMax < settings.PrefetchMin)
        {
            throw new ArgumentException("multiprocessing.pool.prefetch-min must be at least 1 and no larger than prefetch-max.");
        }

        if (settings.MaxRetries < 1 || settings.MaxStartFailures < 1 || settings.ImapBufferPerWorker < 1 || settings.ResultBatchMax < 1)
        {
            throw new ArgumentException(
                "multiprocessing.pool: max-retries, max-start-failures, imap-buffer-per-worker and result-batch-max must be 1 or more.");
        }

        return settings;
    }
}
