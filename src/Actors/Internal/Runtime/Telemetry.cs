using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Multiprocessing.Internal.Runtime;

/// <summary>
/// The library's meter and activity source (names in <see cref="Multiprocessing.Diagnostics"/>). Without a listener
/// every instrument is disabled and costs a flag check.
/// </summary>
internal static class Telemetry
{
    private static readonly string? Version =
        typeof(Telemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    private static readonly ConcurrentDictionary<string, PoolGauges> Pools = new();

    public static readonly ActivitySource Source = new(Multiprocessing.Diagnostics.ActivitySourceName, Version);

    public static readonly Meter Meter = new(Multiprocessing.Diagnostics.MeterName, Version);

    public static readonly Counter<long> Submitted = Meter.CreateCounter<long>(
        Multiprocessing.Diagnostics.TasksSubmitted, "{task}", "Tasks (chunks) handed to a pool.");

    public static readonly Counter<long> Completed = Meter.CreateCounter<long>(
        Multiprocessing.Diagnostics.TasksCompleted, "{task}", "Tasks that returned their results.");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>(
        Multiprocessing.Diagnostics.TasksFailed, "{task}",
        "Tasks that raised, could not be serialized, or whose worker process died max-retries times.");

    public static readonly Counter<long> Retried = Meter.CreateCounter<long>(
        Multiprocessing.Diagnostics.TasksRetried, "{task}", "Tasks queued again because their worker process died.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        Multiprocessing.Diagnostics.TaskDuration, "s", "Time a task ran in its worker process.");

    public static readonly Histogram<double> ProxyCall = Meter.CreateHistogram<double>(
        Multiprocessing.Diagnostics.ProxyCallDuration, "s", "Round trip of a call on a shared object or proxy, from request to reply.");

    static Telemetry()
    {
        Meter.CreateObservableGauge(
            Multiprocessing.Diagnostics.QueueDepth,
            () => Pools.Select(p => new Measurement<int>(p.Value.QueueDepth, new KeyValuePair<string, object?>(Multiprocessing.Diagnostics.PoolTag, p.Key))),
            "{task}",
            "Tasks waiting for a worker.");
        Meter.CreateObservableGauge(
            Multiprocessing.Diagnostics.WorkersAlive,
            () => Pools.Select(p => new Measurement<int>(p.Value.WorkersAlive, new KeyValuePair<string, object?>(Multiprocessing.Diagnostics.PoolTag, p.Key))),
            "{process}",
            "Worker processes started and not yet gone.");
    }

    /// <summary>The gauges of pool <paramref name="name"/>, observed until <see cref="ForgetPool"/>.</summary>
    public static PoolGauges RegisterPool(string name) => Pools.GetOrAdd(name, _ => new PoolGauges());

    public static void ForgetPool(string name) => Pools.TryRemove(name, out _);

    public static KeyValuePair<string, object?> FunctionTag(string function) => new(Multiprocessing.Diagnostics.FunctionTag, function);

    /// <summary>The W3C traceparent of <paramref name="activity"/>, to travel with the tasks it submitted.</summary>
    public static string? TraceParent(Activity? activity) => activity?.Id is { } id && activity.IdFormat == ActivityIdFormat.W3C ? id : null;

    /// <summary>What a pool actor publishes for its gauges (written by the actor, read by the meter).</summary>
    internal sealed class PoolGauges
    {
        private volatile int _queueDepth;
        private volatile int _workersAlive;

        public int QueueDepth
        {
            get => _queueDepth;
            set => _queueDepth = value;
        }

        public int WorkersAlive
        {
            get => _workersAlive;
            set => _workersAlive = value;
        }
    }
}
