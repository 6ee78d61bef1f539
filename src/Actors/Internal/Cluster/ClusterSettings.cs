using Akka.Configuration;

namespace Multiprocessing.Internal.Cluster;

/// <summary>The <c>multiprocessing.cluster</c> section, read once. Defaults live only in reference.conf.</summary>
internal sealed record ClusterSettings(string AppCache, TimeSpan FetchTimeout, TimeSpan AttachTimeout, TimeSpan StatusTimeout)
{
    public static ClusterSettings Create(Config config)
    {
        var section = config.GetConfig("multiprocessing.cluster")
            ?? throw new InvalidOperationException("The configuration has no multiprocessing.cluster section.");
        var cache = section.GetString("app-cache");
        if (string.IsNullOrWhiteSpace(cache))
        {
            cache = Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
                "multiprocessing",
                "apps");
        }

        return new ClusterSettings(
            cache, section.GetTimeSpan("fetch-timeout"), section.GetTimeSpan("attach-timeout"), section.GetTimeSpan("status-timeout"));
    }
}
