namespace Multiprocessing;

/// <summary>
/// Names of the library's <see cref="System.Diagnostics.Metrics.Meter"/> and
/// <see cref="System.Diagnostics.ActivitySource"/>, for OpenTelemetry or any other listener:
/// <c>.AddMeter(Diagnostics.MeterName)</c> and <c>.AddSource(Diagnostics.ActivitySourceName)</c>. The instruments
/// are listed in docs/metrics.md.
/// </summary>
public static class Diagnostics
{
    /// <summary>The meter's name: <c>Multiprocessing</c>.</summary>
    public const string MeterName = "Multiprocessing";

    /// <summary>The activity source's name: <c>Multiprocessing</c>.</summary>
    public const string ActivitySourceName = "Multiprocessing";

    /// <summary>Counter of tasks (chunks) handed to a pool: <c>multiprocessing.pool.tasks.submitted</c>.</summary>
    public const string TasksSubmitted = "multiprocessing.pool.tasks.submitted";

    /// <summary>Counter of tasks that returned their results: <c>multiprocessing.pool.tasks.completed</c>.</summary>
    public const string TasksCompleted = "multiprocessing.pool.tasks.completed";

    /// <summary>Counter of tasks that failed: <c>multiprocessing.pool.tasks.failed</c>.</summary>
    public const string TasksFailed = "multiprocessing.pool.tasks.failed";

    /// <summary>Counter of tasks queued again because their worker process died: <c>multiprocessing.pool.tasks.retried</c>.</summary>
    public const string TasksRetried = "multiprocessing.pool.tasks.retried";

    /// <summary>Histogram of the time a task ran in its worker, in seconds: <c>multiprocessing.pool.task.duration</c>.</summary>
    public const string TaskDuration = "multiprocessing.pool.task.duration";

    /// <summary>Gauge of tasks waiting for a worker, per pool: <c>multiprocessing.pool.queue.depth</c>.</summary>
    public const string QueueDepth = "multiprocessing.pool.queue.depth";

    /// <summary>Gauge of worker processes started and not yet gone, per pool: <c>multiprocessing.pool.workers.alive</c>.</summary>
    public const string WorkersAlive = "multiprocessing.pool.workers.alive";

    /// <summary>Histogram of the round trip of a call on a shared object or proxy, in seconds: <c>multiprocessing.proxy.call.duration</c>.</summary>
    public const string ProxyCallDuration = "multiprocessing.proxy.call.duration";

    /// <summary>The tag naming the task function (<c>Type.Method</c>) on the pool instruments and spans.</summary>
    public const string FunctionTag = "multiprocessing.function";

    /// <summary>The tag naming the pool (<c>pool-N</c>, unique in its process) on the gauges.</summary>
    public const string PoolTag = "multiprocessing.pool";

    /// <summary>The span around a submission in the driver (<see cref="System.Diagnostics.ActivityKind.Producer"/>).</summary>
    public const string SubmitActivity = "multiprocessing.pool.submit";

    /// <summary>The span around a task in its worker process (<see cref="System.Diagnostics.ActivityKind.Consumer"/>).</summary>
    public const string TaskActivity = "multiprocessing.pool.task";
}
