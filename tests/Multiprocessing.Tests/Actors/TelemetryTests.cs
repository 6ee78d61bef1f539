using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>The Multiprocessing meter and activity source, seen through MeterListener and ActivityListener.</summary>
[Collection("processes")]
public sealed class TelemetryTests
{
    [Fact]
    public void Map_counts_submitted_and_completed_tasks_and_records_their_durations()
    {
        using var metrics = new MetricsRecorder();
        using var pool = new Pool(2);

        var results = Bounded(() => pool.Map(TelemetryFunctions.Double, Enumerable.Range(0, 10), chunksize: 2));

        Assert.Equal(Enumerable.Range(0, 10).Select(x => x * 2), results);
        var function = $"{typeof(TelemetryFunctions).FullName}.{nameof(TelemetryFunctions.Double)}";
        Assert.Equal(5, metrics.Sum(Diagnostics.TasksSubmitted, function));
        Assert.Equal(5, metrics.Sum(Diagnostics.TasksCompleted, function));
        Assert.Equal(0, metrics.Sum(Diagnostics.TasksFailed, function));
        Assert.Equal(5, metrics.Count(Diagnostics.TaskDuration, function));
        Assert.All(metrics.Values(Diagnostics.TaskDuration, function), seconds => Assert.InRange(seconds, 0, 60));
    }

    [Fact]
    public void Failed_tasks_are_counted_as_failed()
    {
        using var metrics = new MetricsRecorder();
        using var pool = new Pool(2);

        Assert.Throws<FormatException>(() => Bounded(() => pool.Map(TelemetryFunctions.FailOdd, Enumerable.Range(0, 6), chunksize: 1)));

        var function = $"{typeof(TelemetryFunctions).FullName}.{nameof(TelemetryFunctions.FailOdd)}";
        Assert.Equal(6, metrics.Sum(Diagnostics.TasksSubmitted, function));
        Assert.Equal(3, metrics.Sum(Diagnostics.TasksCompleted, function));
        Assert.Equal(3, metrics.Sum(Diagnostics.TasksFailed, function));
    }

    [Fact]
    public void A_task_whose_worker_keeps_dying_is_counted_as_retried_then_failed()
    {
        // P-74 target: re-run max-retries - 1 times (default max-retries = 3), then WorkerLostException.
        using var metrics = new MetricsRecorder();
        using var pool = new Pool(1);

        Assert.Throws<WorkerLostException>(() => pool.ApplyAsync(TelemetryFunctions.Exit, 3).Get(TestTimeout));

        var function = $"{typeof(TelemetryFunctions).FullName}.{nameof(TelemetryFunctions.Exit)}";
        Assert.Equal(2, metrics.Sum(Diagnostics.TasksRetried, function));
        Assert.Equal(1, metrics.Sum(Diagnostics.TasksFailed, function));
        Assert.Equal(0, metrics.Sum(Diagnostics.TasksCompleted, function));
    }

    [Fact]
    public void Gauges_report_the_workers_alive_and_the_queue_depth_of_each_pool()
    {
        using var metrics = new MetricsRecorder();
        using var pool = new Pool(2);
        WarmUp(pool);

        metrics.Observe();

        Assert.Equal(2, metrics.Last(Diagnostics.WorkersAlive, pool.Name));
        Assert.Equal(0, metrics.Last(Diagnostics.QueueDepth, pool.Name));
    }

    [Fact]
    public void Proxy_calls_record_their_round_trip()
    {
        using var metrics = new MetricsRecorder();
        var queue = new Queue<int>();

        queue.Put(1);
        Assert.Equal(1, queue.Get(timeout: TestTimeout));

        Assert.True(metrics.Count(Diagnostics.ProxyCallDuration, function: null) >= 1);
    }

    [Fact]
    public void Submission_spans_carry_the_function_and_worker_spans_join_their_trace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Diagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var pool = new Pool(new PoolOptions { Processes = 1, Initializer = TelemetryFunctions.ListenInWorker });

        var seen = Bounded(() => pool.Map(TelemetryFunctions.CurrentTrace, [1, 2], chunksize: 1));

        var function = $"{typeof(TelemetryFunctions).FullName}.{nameof(TelemetryFunctions.CurrentTrace)}";
        var submit = Assert.Single(stopped, a => a.OperationName == Diagnostics.SubmitActivity && (string?)a.GetTagItem(Diagnostics.FunctionTag) == function);
        Assert.Equal(ActivityKind.Producer, submit.Kind);
        Assert.Equal("map", submit.GetTagItem("multiprocessing.method"));
        Assert.All(seen, trace => Assert.Equal($"{submit.TraceId.ToHexString()}/{submit.SpanId.ToHexString()}/{function}", trace));
    }

    /// <summary>Collects the measurements of the Multiprocessing meter made while it lives.</summary>
    private sealed class MetricsRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, string? Function, string? Pool)> _measurements = new();

        public MetricsRecorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Diagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public double Sum(string instrument, string function) => Values(instrument, function).Sum();

        public int Count(string instrument, string? function) => Values(instrument, function).Count();

        public IEnumerable<double> Values(string instrument, string? function) =>
            _measurements.Where(m => m.Instrument == instrument && (function is null || m.Function == function)).Select(m => m.Value);

        public double Last(string instrument, string pool) =>
            _measurements.Last(m => m.Instrument == instrument && m.Pool == pool).Value;

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? function = null;
            string? pool = null;
            foreach (var (key, tag) in tags)
            {
                if (key == Diagnostics.FunctionTag)
                {
                    function = tag as string;
                }
                else if (key == Diagnostics.PoolTag)
                {
                    pool = tag as string;
                }
            }

            _measurements.Enqueue((instrument.Name, value, function, pool));
        }
    }
}

/// <summary>Task functions of <see cref="TelemetryTests"/>; their names tag the measurements, so other tests' tasks do not count.</summary>
public static class TelemetryFunctions
{
    private static ActivityListener? _workerListener;

    public static int Double(int x) => x * 2;

    public static int FailOdd(int x) => x % 2 == 1 ? throw new FormatException($"odd item {x}") : x;

    public static int Exit(int code)
    {
        Environment.Exit(code);
        return code;
    }

    /// <summary>Pool initializer: records every Multiprocessing span in this worker process, so its task spans exist.</summary>
    public static void ListenInWorker()
    {
        _workerListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Diagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_workerListener);
    }

    /// <summary>The worker's current span: trace id / parent span id / function tag.</summary>
    public static string CurrentTrace(int _)
    {
        var activity = Activity.Current;
        return activity is null
            ? "no activity"
            : $"{activity.TraceId.ToHexString()}/{activity.ParentSpanId.ToHexString()}/{activity.GetTagItem(Diagnostics.FunctionTag)}";
    }
}
