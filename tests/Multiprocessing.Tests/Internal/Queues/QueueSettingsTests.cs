using Akka.Configuration;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Tests.Internal.Queues;

/// <summary>The multiprocessing.queues section: defaults come from reference.conf alone; bad values name their keys.</summary>
public sealed class QueueSettingsTests
{
    [Fact]
    public void Defaults_come_from_reference_conf_and_turn_prefetch_and_put_batching_on()
    {
        var settings = QueueSettings.Create(MultiprocessingRuntime.DefaultConfig());

        Assert.True(settings.Prefetch > 1);
        Assert.True(settings.PutBatch > 1);
        Assert.True(settings.BatchMaxBytes > 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Zero_or_one_means_one_item_per_message(int value)
    {
        var settings = QueueSettings.Create(With($"multiprocessing.queues {{ prefetch = {value}, put-batch = {value} }}"));

        Assert.Equal(1, settings.Prefetch);
        Assert.Equal(1, settings.PutBatch);
    }

    [Theory]
    [InlineData("prefetch = -1")]
    [InlineData("put-batch = -1")]
    [InlineData("batch-max-bytes = -1")]
    public void Negative_values_are_refused_with_the_keys_named(string setting)
    {
        var error = Assert.Throws<ArgumentException>(() => QueueSettings.Create(With($"multiprocessing.queues {{ {setting} }}")));

        Assert.Contains("multiprocessing.queues.prefetch", error.Message, StringComparison.Ordinal);
        Assert.Contains("batch-max-bytes", error.Message, StringComparison.Ordinal);
    }

    private static Config With(string hocon) =>
        ConfigurationFactory.ParseString(hocon).WithFallback(MultiprocessingRuntime.DefaultConfig());
}
