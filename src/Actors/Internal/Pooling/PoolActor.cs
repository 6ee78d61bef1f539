using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Event;
using Multiprocessing.Internal.Cluster;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Internal.Runtime;
using static Multiprocessing.Internal.Pooling.PoolProtocol;

namespace Multiprocessing.Internal.Pooling;

/// <summary>What the façade needs to know about the pool without asking the actor.</summary>
internal sealed class PoolState
{
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _broken;

    public Exception? Broken => _broken;

    /// <summary>Completes when every worker process has exited after close, terminate or a broken pool.</summary>
    public Task Stopped => _stopped.Task;

    public void MarkBroken(Exception error) => _broken ??= error;

    public void MarkStopped() => _stopped.TrySetResult();

    /// <summary>Workers that started, ran the initializer and take work.</summary>
    public int ReadyWorkers { get; set; }
}

/// <summary>Starts worker processes; a seam so router tests can use probes instead of processes.</summary>
internal interface IWorkerLauncher
{
    /// <summary>Starts worker <paramref name="workerId"/>; reports its exit to <paramref name="pool"/> as <see cref="WorkerExited"/>.</summary>
    IWorkerHandle Start(int workerId, string poolPath, string token, IActorRef pool);

    /// <summary>An actor whose end breaks the pool (a cluster's coordinator: no new workers without it); null for none.</summary>
    IActorRef? Lifeline => null;
}

/// <summary>A started worker process as the pool sees it.</summary>
internal interface IWorkerHandle
{
    int Pid { get; }

    string StderrTail { get; }

    /// <summary>The cluster node the process runs on; null for a local process.</summary>
    string? Node => null;

    /// <summary>Asks the process to exit at once (closes its lifeline).</summary>
    void Stop();

    /// <summary>Kills it (SIGKILL).</summary>
    void Kill();
}

/// <summary>A worker process on a cluster node: the node reports when it started it, or why it could not.</summary>
internal interface IRemoteWorkerHandle : IWorkerHandle
{
    void Launched(IActorRef node, int pid, string nodeName);

    void Failed(string error);
}

/// <summary>
/// The router of one pool, in the driver. Workers pull work: each has a bounded window of chunks (prefetch) that
/// adapts to measured chunk times. It watches every worker; a worker that dies has its chunks re-run elsewhere, up
/// to <c>max-retries</c>, then they fail with <see cref="WorkerLostException"/>. Python's pool hangs there (P-74).
/// </summary>
internal sealed class PoolActor : ReceiveActor, IWithTimers
{
    /// <summary>Chunks for one worker share a message up to this many bytes of arguments.</summary>
    public const long SharedMessageBytes = 64 * 1024;

    private readonly PoolSettings _settings;
    private readonly PoolLaunch _launch;
    private readonly IWorkerLauncher _launcher;
    private readonly PoolState _state;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<long, IJob> _jobs = [];
    private readonly LinkedList<QueuedChunk> _queue = new();
    private readonly Dictionary<int, WorkerSlot> _workers = [];
    private readonly Dictionary<string, int> _functionIds = [];
    private readonly string _token = Guid.NewGuid().ToString("N");
    private Telemetry.PoolGauges? _gauges;
    private int _nextWorkerId;
    private int _startFailures;
    private double _chunkMicros = double.NaN;
    private Phase _phase = Phase.Running;
    private bool _lifelineLost;

    public PoolActor(PoolSettings settings, PoolLaunch launch, IWorkerLauncher launcher, PoolState state)
    {
        _settings = settings;
        _launch = launch;
        _launcher = launcher;
        _state = state;

        Receive<Submit>(OnSubmit);
        Receive<InputEnd>(OnInputEnd);
        Receive<ChunkRejected>(OnChunkRejected);
        Receive<RegisterWorker>(OnRegister);
        Receive<WorkerReady>(OnReady);
        Receive<WorkerInitFailed>(OnInitFailed);
        Receive<ChunkResults>(OnResults);
        Receive<ChunkStarted>(OnChunkStarted);
        Receive<HardTimeoutExpired>(OnHardTimeout);
        Receive<WorkerRetiring>(OnRetiring);
        Receive<WorkerExited>(m => OnWorkerGone(m.WorkerId, m.ExitCode));
        Receive<WorkerStartTimedOut>(OnStartTimedOut);
        Receive<Terminated>(OnTerminated);
        Receive<WorkerLost>(OnWorkerLost);
        Receive<Close>(_ => OnClose());
        Receive<Terminate>(m => OnTerminate(m.Reason));
        Receive<KillRemaining>(_ => OnKillRemaining());
        Receive<ClusterProtocol.WorkerLaunched>(OnLaunched);
        Receive<ClusterProtocol.WorkerProcessExited>(OnProcessExited);
        Receive<ClusterProtocol.PoolStatsRequest>(OnStatsRequest);
        Receive<Sharing.CallProtocol.Cancel>(_ => { });
    }

    private enum Phase
    {
        Running,
        Closing,
        Terminating,
        Stopped,
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(PoolSettings settings, PoolLaunch launch, IWorkerLauncher launcher, PoolState state) =>
        Akka.Actor.Props.Create(() => new PoolActor(settings, launch, launcher, state));

    protected override void PreStart()
    {
        if (_launcher.Lifeline is { } lifeline)
        {
            Context.Watch(lifeline);
        }

        _gauges = Telemetry.RegisterPool(Self.Path.Name);
        for (var i = 0; i < _launch.Processes; i++)
        {
            Spawn();
        }
    }

    protected override void PostStop()
    {
        if (_phase != Phase.Stopped)
        {
            // Stopped by a failure or by the actor system shutting down: nothing may be left waiting.
            var error = new BrokenPoolException(
                "The pool stopped unexpectedly (its actor failed or the process is shutting down); see the log for the cause.", null);
            _state.MarkBroken(error);
            AbortAll(error);
        }

        foreach (var slot in _workers.Values)
        {
            slot.Handle?.Kill();
        }

        Telemetry.ForgetPool(Self.Path.Name);
        _state.MarkStopped();
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        if (_gauges is { } gauges)
        {
            gauges.QueueDepth = _queue.Count;
            gauges.WorkersAlive = _workers.Count;
        }

        return handled;
    }

    private static void Count(Counter<long> counter, IJob job, long tasks = 1)
    {
        if (counter.Enabled && tasks > 0)
        {
            counter.Add(tasks, Telemetry.FunctionTag(job.Function.DisplayName));
        }
    }

    private void OnSubmit(Submit submit)
    {
        var job = submit.Job;
        if (!_jobs.ContainsKey(job.Id))
        {
            if (_state.Broken is { } broken)
            {
                job.Abort(broken);
                return;
            }

            if (_phase != Phase.Running)
            {
                job.Abort(new InvalidOperationException("Pool not running: it was closed or terminated (P-51)."));
                return;
            }

            _jobs[job.Id] = job;
        }

        // Workers know each function by a small id, sent with its description only the first time.
        var key = job.Function.CacheKey;
        if (!_functionIds.TryGetValue(key, out var functionId))
        {
            functionId = _functionIds.Count + 1;
            _functionIds[key] = functionId;
        }

        var limits = submit.Limits ?? ChunkLimits.None;
        Count(Telemetry.Submitted, job, submit.Chunks.Count);
        foreach (var chunk in submit.Chunks)
        {
            _queue.AddLast(new QueuedChunk(job, functionId, chunk.Index, chunk.Args, limits));
        }

        Dispatch();
    }

    private void OnInputEnd(InputEnd end)
    {
        if (_jobs.TryGetValue(end.Job.Id, out var job))
        {
            job.InputEnded(end.TotalChunks, end.Error);
            ForgetIfComplete(job);
            CheckDrained();
        }
        else
        {
            end.Job.InputEnded(end.TotalChunks, end.Error);
        }
    }

    private void OnChunkRejected(ChunkRejected rejected)
    {
        Count(Telemetry.Submitted, rejected.Job);
        Count(Telemetry.Failed, rejected.Job);
        rejected.Job.ChunkFailed(rejected.Index, rejected.Error);
        ForgetIfComplete(rejected.Job);
        CheckDrained();
    }

    private void OnRegister(RegisterWorker register)
    {
        var known = _workers.TryGetValue(register.WorkerId, out var slot);
        if (register.Token != _token || !known || slot!.State != SlotState.Starting)
        {
            if (register.Token == _token && (!known || slot!.State == SlotState.Stopping))
            {
                // A worker that finished starting after the pool stopped wanting it (terminate, close): just stop it.
                _log.Debug("Worker {0} registered after it was no longer needed; stopping it.", register.WorkerId);
            }
            else
            {
                _log.Warning("Refused a worker registration from {0} (unknown worker or wrong token).", Sender.Path);
            }

            Sender.Tell(new StopWorker(true));
            return;
        }

        Timers.Cancel(StartTimerKey(slot.Id));
        slot.Ref = Sender;
        slot.Pid = register.Pid;
        slot.State = SlotState.Initializing;
        Context.Watch(Sender);
        Sender.Tell(new WorkerSetup(_launch.Initializer, _launch.InitializerArgs, _settings.ResultBatchMax, _launch.MaxMemoryPerChild ?? 0));
        if (_launcher is ProcessWorkerLauncher)
        {
            // Local workers are up: keep warm spares for the next ones (replacements, other pools, Process children).
            Processes.SpareProcesses.Replenish();
        }
    }

    private void OnReady(WorkerReady ready)
    {
        if (_workers.TryGetValue(ready.WorkerId, out var slot) && slot.State == SlotState.Initializing)
        {
            slot.State = SlotState.Ready;
            _startFailures = 0;
            CountReady();
            if (_phase == Phase.Running || _phase == Phase.Closing)
            {
                Dispatch();
                CheckDrained();
            }
            else
            {
                StopSlot(slot);
            }
        }
    }

    private void OnInitFailed(WorkerInitFailed failed)
    {
        var pid = _workers.TryGetValue(failed.WorkerId, out var slot) ? slot.Pid : 0;
        var cause = failed.Error.ToException($"worker process {pid}");
        var name = _launch.Initializer?.DisplayName ?? "initializer";
        Break(new BrokenPoolException(
            $"The pool's initializer {name} raised {cause.GetType().Name} in worker process {pid}: {cause.Message} " +
            "The pool cannot run tasks; fix the initializer and create a new pool (P-06).",
            cause));
    }

    private void OnResults(ChunkResults batch)
    {
        if (!_workers.TryGetValue(batch.WorkerId, out var slot) || !Equals(slot.Ref, Sender))
        {
            return;
        }

        foreach (var result in batch.Results)
        {
            if (!slot.InFlight.Remove((result.JobId, result.Index), out var chunk))
            {
                continue;
            }

            if (chunk.Limits.Hard is not null)
            {
                Timers.Cancel(HardTimerKey(slot.Id, result.JobId, result.Index));
            }

            Measure(result.ElapsedMicroseconds);
            slot.Done++;
            if (!_jobs.TryGetValue(result.JobId, out var job))
            {
                continue;
            }

            Count(result.Error is null ? Telemetry.Completed : Telemetry.Failed, job);
            if (Telemetry.Duration.Enabled)
            {
                Telemetry.Duration.Record(result.ElapsedMicroseconds / 1e6, Telemetry.FunctionTag(job.Function.DisplayName));
            }

            if (result.Error is { } error)
            {
                job.ChunkFailed(result.Index, ToException(error, chunk, slot));
            }
            else
            {
                job.ChunkSucceeded(result.Index, result.Results ?? []);
            }

            ForgetIfComplete(job);
        }

        if (slot.InFlight.Count == 0)
        {
            slot.Isolating = false;
            if (slot.Retiring)
            {
                StopSlot(slot);
            }
        }

        Dispatch();
        CheckDrained();
    }

    private void OnLaunched(ClusterProtocol.WorkerLaunched launched)
    {
        if (launched.Token == _token && _workers.TryGetValue(launched.WorkerId, out var slot) && slot.Handle is IRemoteWorkerHandle handle)
        {
            handle.Launched(Sender, launched.Pid, launched.Node);
            slot.Pid = launched.Pid;
        }
    }

    private void OnProcessExited(ClusterProtocol.WorkerProcessExited exited)
    {
        if (exited.Token != _token || !_workers.TryGetValue(exited.WorkerId, out var slot))
        {
            return;
        }

        if (exited.Error is { } error)
        {
            (slot.Handle as IRemoteWorkerHandle)?.Failed(error);
            if (exited.Fatal)
            {
                Break(new BrokenPoolException($"A worker process could not be started: {error}", null));
                return;
            }
        }

        OnWorkerGone(exited.WorkerId, exited.ExitCode, exited.Error);
    }

    private void OnStatsRequest(ClusterProtocol.PoolStatsRequest request)
    {
        var workers = _workers.Values
            .Select(w => new ClusterProtocol.PoolWorkerStats(w.Id, w.Pid, w.Done, w.InFlight.Count))
            .ToList();
        Sender.Tell(new ClusterProtocol.PoolStatsReport(
            request.CallId,
            new ClusterProtocol.PoolStats(Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress), _queue.Count, workers.Sum(w => w.InFlight), workers)));
    }


    private void OnChunkStarted(ChunkStarted started)
    {
        if (_workers.TryGetValue(started.WorkerId, out var slot) && Equals(slot.Ref, Sender)
            && slot.InFlight.TryGetValue((started.JobId, started.Index), out var chunk) && chunk.Limits.Hard is { } limit)
        {
            Timers.StartSingleTimer(
                HardTimerKey(slot.Id, started.JobId, started.Index),
                new HardTimeoutExpired(slot.Id, started.JobId, started.Index),
                limit);
        }
    }

    /// <summary>
    /// A chunk ran past its hard limit: its worker is killed (only a process boundary can stop arbitrary code) and
    /// replaced at once; the chunk fails with <see cref="TaskTimeoutException"/> and is not run again. The chunks the
    /// worker held but had not started run elsewhere without being charged a retry.
    /// </summary>
    private void OnHardTimeout(HardTimeoutExpired expired)
    {
        if (!_workers.TryGetValue(expired.WorkerId, out var slot)
            || !slot.InFlight.Remove((expired.JobId, expired.Index), out var chunk))
        {
            return;
        }

        var limit = chunk.Limits.Hard!.Value;
        var name = chunk.Job.Function.DisplayName;
        _log.Warning(
            "Chunk {0} of {1} ran past its hard time limit of {2}; killing worker process {3}.", expired.Index, name, limit, slot.Pid);
        slot.TimedOut = true;
        slot.Retiring = true;
        slot.Handle?.Kill();
        if (_jobs.TryGetValue(expired.JobId, out var job))
        {
            job.ChunkFailed(expired.Index, new TaskTimeoutException(
                $"The task {name} (chunk {expired.Index}) ran longer than its hard time limit of {Describe(limit)} in worker process " +
                $"{slot.Pid}; that process was killed and replaced, and the task is not run again. The limit is " +
                "PoolOptions.TaskHardTimeout, or TaskLimits.HardTimeout of the call.",
                limit,
                slot.Pid,
                hard: true));
            ForgetIfComplete(job);
        }

        EnsureWorkers();
        Dispatch();
        CheckDrained();
    }

    /// <summary>A worker over <c>MaxMemoryPerChild</c> retires: what it has not started runs elsewhere (not a retry).</summary>
    private void OnRetiring(WorkerRetiring retiring)
    {
        if (!_workers.TryGetValue(retiring.WorkerId, out var slot) || !Equals(slot.Ref, Sender))
        {
            return;
        }

        _log.Info(
            "Worker process {0} uses {1} bytes, above MaxMemoryPerChild ({2}); replacing it.",
            slot.Pid,
            retiring.MemoryBytes,
            _launch.MaxMemoryPerChild);
        slot.Retiring = true;
        RequeueUnstarted(slot);
        if (_phase is Phase.Running or Phase.Closing)
        {
            StopSlot(slot);
        }

        EnsureWorkers();
        Dispatch();
        CheckDrained();
    }

    private void RequeueUnstarted(WorkerSlot slot)
    {
        foreach (var chunk in slot.InFlight.Values.OrderByDescending(c => c.Job.Id).ThenByDescending(c => c.Index))
        {
            if (chunk.Limits.Hard is not null)
            {
                Timers.Cancel(HardTimerKey(slot.Id, chunk.Job.Id, chunk.Index));
            }

            _queue.AddFirst(chunk);
        }

        slot.InFlight.Clear();
    }

    private static Exception ToException(RemoteError error, QueuedChunk chunk, WorkerSlot slot)
    {
        var exception = error.ToException($"worker process {slot.Pid}");
        return exception is TaskTimeoutException && chunk.Limits.Soft is { } soft
            ? new TaskTimeoutException(exception.Message, soft, slot.Pid, hard: false)
            : exception;
    }

    private static string Describe(TimeSpan limit) =>
        limit.TotalSeconds >= 1 ? $"{limit.TotalSeconds:0.###} s" : $"{limit.TotalMilliseconds:0.###} ms";

    private static string HardTimerKey(int workerId, long jobId, int index) => $"hard-{workerId}-{jobId}-{index}";

    private void OnStartTimedOut(WorkerStartTimedOut timedOut)
    {
        if (_workers.TryGetValue(timedOut.WorkerId, out var slot) && slot.State == SlotState.Starting)
        {
            _log.Warning("Worker process {0} did not register within {1}; killing it.", slot.Pid, _settings.WorkerStartTimeout);
            slot.Handle?.Kill();
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        if (Equals(terminated.ActorRef, _launcher.Lifeline))
        {
            // The workers it has may still be fine (their nodes are separate processes): the pool breaks when it
            // needs a new worker, or now if it has none.
            _lifelineLost = true;
            _log.Warning("The cluster's host {0} is unreachable: this pool keeps its workers but cannot replace them.", terminated.ActorRef.Path.Address);
            if (_workers.Count == 0)
            {
                BreakForLifeline();
            }

            return;
        }

        var slot = _workers.Values.FirstOrDefault(s => Equals(s.Ref, terminated.ActorRef));
        if (slot is null)
        {
            return;
        }

        if (slot.Handle is null)
        {
            OnWorkerGone(slot.Id, null);
            return;
        }

        // Usually the process is exiting: give its exit code a moment to arrive (it names the cause in errors).
        // If it does not, the process is killed so no chunk can run twice at once.
        slot.Lost = true;
        Timers.StartSingleTimer($"lost-{slot.Id}", new WorkerLost(slot.Id), TimeSpan.FromSeconds(1));
    }

    private void OnWorkerLost(WorkerLost lost)
    {
        if (_workers.TryGetValue(lost.WorkerId, out var slot))
        {
            slot.Handle?.Kill();
            OnWorkerGone(slot.Id, null);
        }
    }

    private void OnWorkerGone(int workerId, int? exitCode, string? cause = null)
    {
        if (!_workers.Remove(workerId, out var slot))
        {
            return;
        }

        Timers.Cancel(StartTimerKey(workerId));
        Timers.Cancel($"lost-{workerId}");
        CountReady();
        if (slot.Ref is not null)
        {
            Context.Unwatch(slot.Ref);
        }

        var how = cause ?? (exitCode is { } code ? ChildProcess.DescribeExit(code) : "its connection was lost");
        if (slot.TimedOut && _phase is Phase.Running or Phase.Closing)
        {
            // Killed for a hard time limit: that chunk already failed; the others it held were not started.
            _log.Debug("Worker process {0}, killed for a hard time limit, exited ({1}).", slot.Pid, how);
            RequeueUnstarted(slot);
        }
        else if (slot.State != SlotState.Stopping && _phase is Phase.Running or Phase.Closing)
        {
            if (slot.State is SlotState.Starting or SlotState.Initializing)
            {
                // A worker that dies before it is ready (for example inside the initializer) counts as a failed
                // start, so a crashing initializer cannot respawn workers forever (P-06 target).
                _startFailures++;
                _log.Warning("Worker process {0} exited before it was ready ({1}).", slot.Pid, how);
                if (_startFailures >= _settings.MaxStartFailures)
                {
                    var tail = slot.Handle?.StderrTail;
                    Break(new BrokenPoolException(
                        $"{_startFailures} worker processes in a row exited before they could take work (last: {slot.Where}, {how})." +
                        (string.IsNullOrWhiteSpace(tail) ? string.Empty : $" Its last error output:{Environment.NewLine}{tail}"),
                        null));
                }
            }
            else
            {
                _log.Warning("Worker process {0} died ({1}) with {2} chunk(s) in flight.", slot.Where, how, slot.InFlight.Count);
            }

            Requeue(slot, how);
        }
        else
        {
            FailInFlight(slot, new PoolTerminatedException("The pool was terminated before this task finished."));
        }

        EnsureWorkers();
        Dispatch();
        CheckDrained();
        CheckStopped();
    }

    private void Requeue(WorkerSlot slot, string how)
    {
        foreach (var chunk in slot.InFlight.Values.OrderByDescending(c => c.Job.Id).ThenByDescending(c => c.Index))
        {
            chunk.Attempts++;
            if (chunk.Attempts >= _settings.MaxRetries)
            {
                if (_jobs.TryGetValue(chunk.Job.Id, out var job))
                {
                    Count(Telemetry.Failed, job);
                    job.ChunkFailed(chunk.Index, new WorkerLostException(
                        $"The worker process running chunk {chunk.Index} of {job.Function.DisplayName} died ({how}, {slot.Where}) " +
                        $"{chunk.Attempts} times; the task is not run again (max-retries = {_settings.MaxRetries}: PoolOptions.MaxRetries " +
                        "or multiprocessing.pool.max-retries).",
                        slot.Pid,
                        ExitCodeOf(how)));
                    ForgetIfComplete(job);
                }
            }
            else
            {
                Count(Telemetry.Retried, chunk.Job);
                _queue.AddFirst(chunk);
            }
        }

        slot.InFlight.Clear();
    }

    private static int? ExitCodeOf(string how)
    {
        var marker = "exit code ";
        var at = how.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var digits = new string(how[(at + marker.Length)..].TakeWhile(char.IsDigit).ToArray());
        return int.TryParse(digits, out var code) ? code : null;
    }

    private void FailInFlight(WorkerSlot slot, Exception error)
    {
        foreach (var chunk in slot.InFlight.Values)
        {
            chunk.Job.ChunkFailed(chunk.Index, error);
        }

        slot.InFlight.Clear();
    }

    private void OnClose()
    {
        if (_phase == Phase.Running)
        {
            _phase = Phase.Closing;
        }

        CheckDrained();
        CheckStopped();
    }

    private void OnTerminate(Exception? reason)
    {
        if (_phase is Phase.Terminating or Phase.Stopped)
        {
            return;
        }

        _phase = Phase.Terminating;
        AbortAll(reason ?? new PoolTerminatedException("The pool was terminated before this task finished (P-53 target)."));
        foreach (var slot in _workers.Values)
        {
            StopSlot(slot, immediately: true);
        }

        Timers.StartSingleTimer("kill", KillRemaining.Instance, _settings.TerminateGrace);
        CheckStopped();
    }

    private void OnKillRemaining()
    {
        foreach (var slot in _workers.Values)
        {
            slot.Handle?.Kill();
        }
    }

    private void Break(BrokenPoolException error)
    {
        if (_state.Broken is not null)
        {
            return;
        }

        _state.MarkBroken(error);
        _log.Error(error.Message);
        _phase = Phase.Terminating;
        AbortAll(error);
        foreach (var slot in _workers.Values)
        {
            StopSlot(slot, immediately: true);
        }

        Timers.StartSingleTimer("kill", KillRemaining.Instance, _settings.TerminateGrace);
        CheckStopped();
    }

    private void AbortAll(Exception error)
    {
        _queue.Clear();
        foreach (var job in _jobs.Values)
        {
            job.Abort(error);
        }

        _jobs.Clear();
        foreach (var slot in _workers.Values)
        {
            slot.InFlight.Clear();
        }
    }

    private void Dispatch()
    {
        if (_queue.Count == 0 || _phase is Phase.Terminating or Phase.Stopped)
        {
            return;
        }

        // Chunks go one at a time to the least-loaded worker with room, so every idle worker gets work (two slow
        // chunks on two idle workers run side by side, not one after the other in the first worker's window).
        // Each worker's share travels in messages of up to SharedMessageBytes: small chunks share one, a large chunk
        // goes alone, so the worker starts on it while the next one is still on its way.
        var window = Window();
        var messageBytes = Math.Min(SharedMessageBytes, _settings.MaxChunkBytes);
        var batches = new Dictionary<WorkerSlot, (List<ChunkTask> Tasks, long Bytes)>();
        while (_queue.First is { } node)
        {
            var chunk = node.Value;
            if (!_jobs.ContainsKey(chunk.Job.Id))
            {
                _queue.RemoveFirst();
                continue;
            }

            // A chunk whose worker died runs alone on an idle worker, so a poison task is told apart from the
            // innocent ones that were queued with it, and only it is charged for later deaths (P-74).
            var slot = chunk.Attempts > 0 ? LeastLoaded(1) : LeastLoaded(window);
            if (slot is null)
            {
                break;
            }

            if (chunk.Attempts > 0)
            {
                slot.Isolating = true;
            }

            _queue.RemoveFirst();
            var (batch, bytes) = batches.GetValueOrDefault(slot, ([], 0));
            if (batch.Count > 0 && bytes + chunk.Args.Length >= messageBytes)
            {
                slot.Ref!.Tell(new RunChunks(batch));
                (batch, bytes) = ([], 0);
            }

            var spec = slot.KnownFunctions.Add(chunk.FunctionId) ? chunk.Job.Function : null;
            var soft = chunk.Limits.Soft is { } s ? Math.Max(1L, (long)s.TotalMicroseconds) : 0L;
            batch.Add(new ChunkTask(chunk.Job.Id, chunk.Index, chunk.FunctionId, spec, chunk.Args, soft, chunk.Limits.Hard is not null) { TraceParent = chunk.Job.TraceParent });
            batches[slot] = (batch, bytes + chunk.Args.Length);
            slot.InFlight[(chunk.Job.Id, chunk.Index)] = chunk;
            slot.Assigned++;
            if (_launch.MaxTasksPerChild is { } limit && slot.Assigned >= limit)
            {
                // maxtasksperchild (P-60): this worker takes no more work; start its replacement now so it is warm.
                slot.Retiring = true;
                EnsureWorkers();
            }
        }

        foreach (var (slot, (batch, _)) in batches)
        {
            if (batch.Count > 0)
            {
                slot.Ref!.Tell(new RunChunks(batch));
            }
        }
    }

    private WorkerSlot? LeastLoaded(int window)
    {
        WorkerSlot? best = null;
        foreach (var slot in _workers.Values)
        {
            if (slot.State == SlotState.Ready && !slot.Retiring && !slot.Isolating && !slot.Lost && slot.InFlight.Count < window
                && (best is null || slot.InFlight.Count < best.InFlight.Count))
            {
                best = slot;
            }
        }

        return best;
    }

    private int Window()
    {
        if (double.IsNaN(_chunkMicros))
        {
            return _settings.PrefetchMin;
        }

        var target = _settings.PrefetchTarget.TotalMicroseconds;
        var window = (int)Math.Ceiling(target / Math.Max(1.0, _chunkMicros));
        return Math.Clamp(window, _settings.PrefetchMin, _settings.PrefetchMax);
    }

    private void Measure(long micros)
    {
        _chunkMicros = double.IsNaN(_chunkMicros) ? micros : (0.8 * _chunkMicros) + (0.2 * micros);
    }

    private void EnsureWorkers()
    {
        if (_state.Broken is not null || _phase is Phase.Terminating or Phase.Stopped)
        {
            return;
        }

        if (_phase == Phase.Closing && _queue.Count == 0 && _jobs.Count == 0)
        {
            return;
        }

        var active = _workers.Values.Count(s => s.State != SlotState.Stopping && !s.Retiring);
        for (var i = active; i < _launch.Processes; i++)
        {
            Spawn();
        }
    }

    private void BreakForLifeline() => Break(new BrokenPoolException(
        $"The cluster's host ({_launcher.Lifeline?.Path.Address}) is gone: the pool cannot replace its workers. " +
        "Start the host again and connect a new pool.",
        null));

    private void Spawn()
    {
        if (_lifelineLost)
        {
            BreakForLifeline();
            return;
        }

        var id = ++_nextWorkerId;
        var slot = new WorkerSlot(id);
        _workers[id] = slot;
        try
        {
            var path = Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress);
            slot.Handle = _launcher.Start(id, path, _token, Self);
            slot.Pid = slot.Handle.Pid;
            Timers.StartSingleTimer(StartTimerKey(id), new WorkerStartTimedOut(id), _settings.WorkerStartTimeout);
        }
        catch (Exception ex)
        {
            _workers.Remove(id);
            Break(new BrokenPoolException($"A worker process could not be started: {ex.Message}", ex));
        }
    }

    private void StopSlot(WorkerSlot slot, bool immediately = false)
    {
        if (slot.State == SlotState.Stopping)
        {
            return;
        }

        slot.State = SlotState.Stopping;
        if (slot.Ref is not null)
        {
            // A message lets the worker leave the association cleanly (no error noise in either log); the
            // terminate-grace timer kills what does not stop.
            slot.Ref.Tell(new StopWorker(immediately, NothingPending: slot.InFlight.Count == 0));
        }
        else
        {
            slot.Handle?.Stop();
        }
    }

    private void ForgetIfComplete(IJob job)
    {
        if (job.IsComplete)
        {
            _jobs.Remove(job.Id);
        }
    }

    private void CheckDrained()
    {
        if (_phase != Phase.Closing || _queue.Count > 0 || _jobs.Count > 0)
        {
            return;
        }

        foreach (var slot in _workers.Values)
        {
            if (slot.InFlight.Count == 0)
            {
                StopSlot(slot);
            }
        }

        CheckStopped();
    }

    private void CheckStopped()
    {
        if (_phase is Phase.Closing or Phase.Terminating && _workers.Count == 0 && (_phase == Phase.Terminating || _jobs.Count == 0))
        {
            _phase = Phase.Stopped;
            Timers.CancelAll();
            _state.MarkStopped();
        }
    }

    private static string StartTimerKey(int id) => $"start-{id}";

    private void CountReady() => _state.ReadyWorkers = _workers.Values.Count(s => s.State == SlotState.Ready);

    private enum SlotState
    {
        Starting,
        Initializing,
        Ready,
        Stopping,
    }

    private sealed class WorkerSlot(int id)
    {
        public int Id { get; } = id;

        public IWorkerHandle? Handle { get; set; }

        public IActorRef? Ref { get; set; }

        public int Pid { get; set; }

        public SlotState State { get; set; } = SlotState.Starting;

        public bool Retiring { get; set; }

        /// <summary>Its connection is gone; it gets no work while the pool waits for the process to exit.</summary>
        public bool Lost { get; set; }

        /// <summary>It was killed because a chunk passed its hard time limit.</summary>
        public bool TimedOut { get; set; }

        /// <summary>Runs a chunk whose previous worker died; it gets no other work until that chunk is done.</summary>
        public bool Isolating { get; set; }

        public int Assigned { get; set; }

        public long Done { get; set; }

        /// <summary>How errors name the process: its pid, and its node for a cluster worker.</summary>
        public string Where => Handle?.Node is { } node ? $"pid {Pid} on {node}" : $"pid {Pid}";

        public Dictionary<(long JobId, int Index), QueuedChunk> InFlight { get; } = [];

        public HashSet<int> KnownFunctions { get; } = [];
    }

    private sealed class QueuedChunk(IJob job, int functionId, int index, byte[] args, ChunkLimits limits)
    {
        /// <summary>The id workers know the job's function by.</summary>
        public int FunctionId { get; } = functionId;

        public ChunkLimits Limits { get; } = limits;

        public IJob Job { get; } = job;

        public int Index { get; } = index;

        public byte[] Args { get; } = args;

        public int Attempts { get; set; }
    }
}

/// <summary>What a pool's workers are started with.</summary>
internal sealed record PoolLaunch(
    int Processes, int? MaxTasksPerChild, FunctionSpec? Initializer, byte[]? InitializerArgs, long? MaxMemoryPerChild = null);
