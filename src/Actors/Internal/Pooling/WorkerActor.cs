using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Runtime;
using static Multiprocessing.Internal.Pooling.PoolProtocol;

namespace Multiprocessing.Internal.Pooling;

/// <summary>
/// The pool's agent inside a worker process. It registers with the pool, runs the initializer, then hands chunks
/// to one dedicated task thread (one task at a time, as Python's workers). It watches the pool and stops the
/// process when the pool or its driver goes away.
/// </summary>
internal sealed class WorkerActor : ReceiveActor
{
    private readonly string _poolPath;
    private readonly int _workerId;
    private readonly string _token;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private TaskThread? _thread;

    public WorkerActor(string poolPath, int workerId, string token)
    {
        _poolPath = poolPath;
        _workerId = workerId;
        _token = token;

        Receive<WorkerSetup>(OnSetup);
        Receive<RunChunks>(run => _thread?.Enqueue(run.Chunks));
        Receive<StopWorker>(stop =>
        {
            if (stop.NothingPending)
            {
                // The pool has every result of this worker: nothing is left to deliver, so end as Python's workers
                // do (at once), not with the ordered shutdown of the actor system (tens of milliseconds).
                _log.Debug("Worker {0} exits at once: the pool asked and holds every result", _workerId);
                ProcessEnd.ExitNow(0, MultiprocessingRuntime.ShutdownTimeout);
            }

            Exit("the pool asked this worker to stop");
        });
        Receive<Terminated>(_ => Exit("the pool is gone"));
        Receive<ReceiveTimeout>(_ => Exit("the pool did not answer the registration"));
    }

    public static Props Props(string poolPath, int workerId, string token) =>
        Akka.Actor.Props.Create(() => new WorkerActor(poolPath, workerId, token));

    protected override void PreStart()
    {
        Context.SetReceiveTimeout(TimeSpan.FromSeconds(30));
        Context.ActorSelection(_poolPath).Tell(new RegisterWorker(_workerId, Environment.ProcessId, _token));
    }

    protected override void PostStop()
    {
        // Without this actor the process has no purpose: a failure here must end the process, not orphan it.
        CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }

    private void OnSetup(WorkerSetup setup)
    {
        if (_thread is not null)
        {
            return;
        }

        Context.SetReceiveTimeout(null);
        var pool = Sender;
        Context.Watch(pool);
        _thread = new TaskThread(_workerId, pool, Self, setup.ResultBatchMax, setup.MaxMemoryBytes, _log);
        _thread.Start(setup.Initializer, setup.InitializerArgs);
    }

    private void Exit(string reason)
    {
        _log.Debug("Worker {0} exits: {1}", _workerId, reason);
        CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }

    /// <summary>The thread that runs user code, so the actor stays responsive while a task runs.</summary>
    private sealed class TaskThread(int workerId, IActorRef pool, IActorRef self, int batchMax, long maxMemory, ILoggingAdapter log)
    {
        // Results share a message up to this size; past it they go at once, so a large chunk's results travel while
        // the next chunk runs.
        private const long SharedMessageBytes = PoolActor.SharedMessageBytes;

        // Finished chunks wait at most this long for more to share their message, so a result is never held back
        // until a long chunk queued behind it has finished.
        private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(2);
        private readonly BlockingCollection<ChunkTask> _chunks = new();
        private readonly Dictionary<int, TaskRunner> _runners = [];
        private readonly Dictionary<int, string> _functionNames = [];
        private readonly object _gate = new();
        private List<ChunkResult> _done = [];
        private long _doneBytes;
        private Timer? _flush;

        public void Enqueue(IReadOnlyList<ChunkTask> chunks)
        {
            foreach (var chunk in chunks)
            {
                _chunks.Add(chunk);
            }
        }

        public void Start(FunctionSpec? initializer, byte[]? initializerArgs)
        {
            _flush = new Timer(_ =>
            {
                lock (_gate)
                {
                    SendDone();
                }
            });
            var thread = new Thread(() => Run(initializer, initializerArgs))
            {
                IsBackground = true,
                Name = $"multiprocessing-worker-{workerId}",
            };
            thread.Start();
        }

        private void Run(FunctionSpec? initializer, byte[]? initializerArgs)
        {
            if (initializer is not null)
            {
                try
                {
                    TaskRunner.For(initializer).RunChunk(initializerArgs ?? []);
                }
                catch (Exception ex)
                {
                    pool.Tell(new WorkerInitFailed(workerId, RemoteError.From(ex)), self);
                    return;
                }
            }

            pool.Tell(new WorkerReady(workerId), self);
            foreach (var chunk in _chunks.GetConsumingEnumerable())
            {
                var result = RunOne(chunk);
                if (maxMemory > 0 && Environment.WorkingSet is var used && used > maxMemory)
                {
                    // MaxMemoryPerChild: report this chunk, then run nothing more; the pool re-runs what is queued
                    // here on other workers and replaces this process.
                    lock (_gate)
                    {
                        _done.Add(result);
                        SendDone();
                        pool.Tell(new WorkerRetiring(workerId, used), self);
                    }

                    return;
                }

                var size = result.Results?.Length ?? result.Error?.MaxEncodedBytes ?? 0;
                lock (_gate)
                {
                    // Results travel together only while they fit one message (max-message-bytes); a larger batch
                    // would be dropped by the transport and its tasks would never finish.
                    if (_done.Count > 0 && _doneBytes + size > Serialization.MessageLimit.MaxBytes)
                    {
                        SendDone();
                    }

                    _done.Add(result);
                    _doneBytes += size;
                    if (_chunks.Count == 0 || _done.Count >= batchMax || _doneBytes >= SharedMessageBytes)
                    {
                        SendDone();
                    }
                    else if (_done.Count == 1)
                    {
                        // More chunks are queued here: batch their results, but only for FlushDelay.
                        _flush!.Change(FlushDelay, Timeout.InfiniteTimeSpan);
                    }
                }
            }
        }

        private void SendDone()
        {
            if (_done.Count > 0)
            {
                pool.Tell(new ChunkResults(workerId, _done), self);
                _done = [];
                _doneBytes = 0;
            }
        }

        private ChunkResult RunOne(ChunkTask chunk)
        {
            if (chunk.ReportStart)
            {
                pool.Tell(new ChunkStarted(workerId, chunk.JobId, chunk.Index), self);
            }

            var started = Stopwatch.GetTimestamp();
            using var soft = chunk.SoftTimeoutMicroseconds > 0 ? new CancellationTokenSource() : null;
            using var activity = StartActivity(chunk);
            try
            {
                if (chunk.Function is not null)
                {
                    _runners[chunk.FunctionId] = TaskRunner.For(chunk.Function);

                    // The chunk's time is the time it ran: building the function's runner (once per process) would
                    // make the pool think its chunks are slow and shrink every worker's prefetch window.
                    started = Stopwatch.GetTimestamp();
                }

                if (!_runners.TryGetValue(chunk.FunctionId, out var runner))
                {
                    throw new TaskFunctionException($"Function {chunk.FunctionId} was never described to this worker.");
                }

                soft?.CancelAfter(TimeSpan.FromMicroseconds(chunk.SoftTimeoutMicroseconds));
                var results = runner.RunChunk(chunk.Args, soft?.Token ?? CancellationToken.None);

                // Python's MaybeEncodingError: a result that cannot travel fails its tasks instead of being lost.
                Serialization.MessageLimit.Check(
                    results.Length, $"A chunk of {runner.Name}'s results", "Return smaller values, or use a smaller chunksize.");

                // Puts the task sent without waiting reach their queues before its result reaches the caller.
                Sharing.Caller.DrainWrites();
                return new ChunkResult(chunk.JobId, chunk.Index, results, null, Elapsed(started));
            }
            catch (OperationCanceledException) when (soft is { IsCancellationRequested: true })
            {
                var limit = TimeSpan.FromMicroseconds(chunk.SoftTimeoutMicroseconds);
                var name = _runners.TryGetValue(chunk.FunctionId, out var runner) ? runner.Name : "the task";
                var error = new TaskTimeoutException(
                    $"The task {name} (chunk {chunk.Index}) did not finish within its soft time limit of {limit.TotalSeconds:0.###} s " +
                    $"in worker process {Environment.ProcessId}: its CancellationToken was cancelled and it stopped. The limit is " +
                    "PoolOptions.TaskTimeout, or TaskLimits.Timeout of the call.");
                return new ChunkResult(chunk.JobId, chunk.Index, null, RemoteError.From(error), Elapsed(started));
            }
            catch (Exception ex)
            {
                log.Debug("Chunk {0}/{1} failed: {2}", chunk.JobId, chunk.Index, ex.Message);
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                activity?.AddTag("exception.type", ex.GetType().FullName);
                return new ChunkResult(chunk.JobId, chunk.Index, null, RemoteError.From(ex), Elapsed(started));
            }
        }

        /// <summary>The task's span, a child of the driver's submission when its trace context came with the chunk.</summary>
        private Activity? StartActivity(ChunkTask chunk)
        {
            if (!Telemetry.Source.HasListeners())
            {
                return null;
            }

            ActivityContext.TryParse(chunk.TraceParent, null, out var parent);
            var activity = Telemetry.Source.StartActivity(Multiprocessing.Diagnostics.TaskActivity, ActivityKind.Consumer, parent);
            if (chunk.Function is not null)
            {
                _functionNames[chunk.FunctionId] = chunk.Function.DisplayName;
            }

            if (activity is not null && _functionNames.TryGetValue(chunk.FunctionId, out var name))
            {
                activity.SetTag(Multiprocessing.Diagnostics.FunctionTag, name);
            }

            activity?.SetTag("multiprocessing.chunk", chunk.Index);
            activity?.SetTag("multiprocessing.worker", workerId);
            return activity;
        }

        private static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
    }
}
