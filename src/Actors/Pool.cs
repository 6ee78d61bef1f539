using Akka.Actor;
using Multiprocessing.Internal.Cluster;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing;

/// <summary>
/// A pool of worker OS processes (Python's <c>multiprocessing.Pool</c>). Task functions are static methods or
/// lambdas that capture nothing; arguments and results travel as MessagePack. <see cref="Dispose"/> terminates the
/// pool, as leaving Python's <c>with Pool() as p:</c> block does (P-54): call <see cref="Close"/> and
/// <see cref="Join"/> first to let queued work finish.
/// </summary>
public sealed partial class Pool : IDisposable, IAsyncDisposable
{
    private static int _count;
    private readonly PoolSettings _settings;
    private readonly PoolState _state = new();
    private readonly ResultThread _resultThread;
    private readonly IActorRef _actor;
    private readonly string _name;

    /// <summary>Gets the pool's name in this process (<c>pool-N</c>): its actor's name and its telemetry tag.</summary>
    internal string Name => _name;
    private readonly CancellationTokenSource _closing = new();
    private readonly CancellationTokenSource _terminating = new();
    private readonly ChunkLimits _limits;
    private int _phase;

    /// <summary>Starts a pool of worker processes.</summary>
    /// <param name="processes">Number of workers; default <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="initializer">Run once in every worker before its first task (a static method or capture-free lambda).</param>
    /// <param name="maxTasksPerChild">Chunks a worker runs before it is replaced; default unlimited.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="processes"/> or <paramref name="maxTasksPerChild"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="initializer"/> captures state or is not a static method.</exception>
    public Pool(int? processes = null, Action? initializer = null, int? maxTasksPerChild = null)
        : this(new PoolOptions { Processes = processes, Initializer = initializer, MaxTasksPerChild = maxTasksPerChild })
    {
    }

    /// <summary>Starts a pool of worker processes with <paramref name="options"/>.</summary>
    /// <param name="options">The pool's settings.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count in <paramref name="options"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The initializer captures state, or its arguments do not match it.</exception>
    public Pool(PoolOptions options)
        : this(options, null)
    {
    }

    internal Pool(PoolOptions options, IWorkerLauncher? launcher)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Process.Current.Daemon)
        {
            throw new InvalidOperationException("Daemonic processes are not allowed to have children: a pool worker cannot start a Pool (P-08).");
        }

        if (options.Processes is < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.Processes, "Number of processes must be at least 1 (P-02). Pass null for one per CPU.");
        }

        if (options.MaxTasksPerChild is < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.MaxTasksPerChild, "maxTasksPerChild must be a positive number or null for unlimited (P-03).");
        }

        if (options.MaxRetries is < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.MaxRetries, "MaxRetries must be 1 or more (1 = a chunk whose worker died is not run again), or null for the default.");
        }

        TaskLimits.Validate(
            options.TaskTimeout, options.TaskHardTimeout, "PoolOptions.TaskTimeout", "PoolOptions.TaskHardTimeout", nameof(options));
        if (options.MaxMemoryPerChild is <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.MaxMemoryPerChild, "MaxMemoryPerChild is in bytes and must be positive, or null for unlimited.");
        }

        var (initializer, initArgs) = DescribeInitializer(options.Initializer, options.InitializerArgs);

        // Every option is checked before a cluster is contacted.
        int? capacity = null;
        if (launcher is null && options.Host is { } host)
        {
            if (options.AuthKey is null)
            {
                throw new ArgumentException("PoolOptions.Host needs PoolOptions.AuthKey: the cluster's authkey.", nameof(options));
            }

            (var cluster, capacity) = ClusterClient.AttachAsync(host, options.AuthKey, CancellationToken.None).GetAwaiter().GetResult();
            if (capacity == 0 && options.Processes is null)
            {
                throw new ClusterUnavailableException(
                    $"The cluster at {host} has no worker nodes yet: start one with `mp worker --join {host}`, or set Processes.");
            }

            launcher = cluster;
            Host = host;
        }

        var processes = options.Processes ?? capacity ?? Environment.ProcessorCount;
        Processes = processes;
        _limits = new ChunkLimits(options.TaskTimeout, options.TaskHardTimeout);
        _settings = PoolSettings.Create(MultiprocessingRuntime.Config);
        if (options.MaxRetries is { } maxRetries)
        {
            _settings = _settings with { MaxRetries = maxRetries };
        }

        var id = Interlocked.Increment(ref _count);
        _name = $"pool-{id}";
        _resultThread = new ResultThread($"multiprocessing-pool-{id}-results");
        var launch = new PoolLaunch(processes, options.MaxTasksPerChild, initializer, initArgs, options.MaxMemoryPerChild);
        _actor = MultiprocessingRuntime.System.ActorOf(
            PoolActor.Props(_settings, launch, launcher ?? ProcessWorkerLauncher.Instance, _state),
            _name);
        if (launcher is ClusterWorkerLauncher attached)
        {
            attached.Coordinator.Tell(new ClusterProtocol.PoolAttached(MultiprocessingRuntime.Address.ToString()), _actor);
        }

        Interrupts.Watch(this, () => TerminateWith(Interrupts.Interrupted(CancellationToken.None)));
    }

    /// <summary>
    /// Attaches to the cluster of the <c>mp host</c> at <paramref name="host"/> and returns a pool whose workers are
    /// processes on the cluster's worker nodes. The API is the same as a local pool's.
    /// </summary>
    /// <param name="host">The host's <c>host:port</c>, as <c>mp host</c> prints it.</param>
    /// <param name="authkey">The cluster's authkey (at least 16 bytes).</param>
    /// <param name="options">Other settings; <see cref="PoolOptions.Processes"/> defaults to the cluster's capacity.</param>
    /// <returns>The pool.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is not <c>host:port</c>, or the key is too short.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The host refused the authkey.</exception>
    /// <exception cref="ClusterUnavailableException">No host answered, or the cluster has no worker nodes.</exception>
    public static Pool Connect(string host, byte[] authkey, PoolOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentNullException.ThrowIfNull(authkey);
        var connected = options?.Clone() ?? new PoolOptions();
        connected.Host = host;
        connected.AuthKey = authkey;
        return new Pool(connected);
    }

    /// <summary>
    /// Waits until all <see cref="Processes"/> workers have started and run the initializer (beyond Python: useful
    /// before timing work, or on a cluster, where nodes start their processes at different speeds). Work submitted
    /// before that runs on the workers that are ready.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until they are ready or the pool stops.</param>
    /// <returns><see langword="true"/> if every worker is ready; <see langword="false"/> on timeout.</returns>
    /// <exception cref="BrokenPoolException">The pool broke while starting (for example, its initializer raised).</exception>
    public bool WaitReady(TimeSpan? timeout = null)
    {
        AsyncResult.ValidateTimeout(timeout);
        var deadline = timeout is { } limit ? DateTime.UtcNow + limit : DateTime.MaxValue;
        while (_state.ReadyWorkers < Processes)
        {
            if (_state.Broken is { } broken)
            {
                throw new BrokenPoolException(broken.Message, broken.InnerException);
            }

            if (DateTime.UtcNow >= deadline || _state.Stopped.IsCompleted)
            {
                return false;
            }

            Thread.Sleep(10);
        }

        return true;
    }

    /// <summary>The cluster host this pool runs on, or null for a pool of local worker processes.</summary>
    public string? Host { get; }

    private enum PoolPhase
    {
        Running,
        Closed,
        Terminated,
    }

    /// <summary>The number of worker processes the pool keeps running.</summary>
    public int Processes { get; }

    /// <summary>Stops accepting work; queued and running tasks finish, then the workers exit (P-50). Idempotent.</summary>
    public void Close()
    {
        if (Interlocked.CompareExchange(ref _phase, (int)PoolPhase.Closed, (int)PoolPhase.Running) == (int)PoolPhase.Running)
        {
            _closing.Cancel();
            _actor.Tell(PoolProtocol.Close.Instance);
        }
    }

    /// <summary>
    /// Stops the workers now (P-53). Every pending result fails with <see cref="PoolTerminatedException"/> instead of
    /// hanging as in Python; workers that do not stop within <c>multiprocessing.pool.terminate-grace</c> are killed.
    /// </summary>
    public void Terminate() => TerminateWith(null);

    /// <summary>Waits for the worker processes to exit after <see cref="Close"/> or <see cref="Terminate"/> (P-52).</summary>
    /// <exception cref="InvalidOperationException">The pool is still running: call <see cref="Close"/> or <see cref="Terminate"/> first.</exception>
    /// <exception cref="OperationCanceledException">Ctrl+C was pressed while waiting (<c>multiprocessing.runtime.handle-ctrl-c</c>).</exception>
    public void Join()
    {
        var interrupt = Interrupts.Token;
        try
        {
            JoinAsync(null, interrupt).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            throw Interrupts.Interrupted(interrupt);
        }
    }

    /// <summary>The awaitable twin of <see cref="Join"/>.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until the workers exited.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> if the workers exited, <see langword="false"/> if the timeout passed first.</returns>
    /// <exception cref="InvalidOperationException">The pool is still running.</exception>
    public async Task<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        AsyncResult.ValidateTimeout(timeout);
        if (Volatile.Read(ref _phase) == (int)PoolPhase.Running && _state.Broken is null)
        {
            throw new InvalidOperationException("Pool is still running: call Close() or Terminate() before Join() (P-52).");
        }

        try
        {
            await _state.Stopped.WaitAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Terminates the pool and waits for its workers (P-54: the same as leaving Python's <c>with</c> block).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Terminates the pool and waits for its workers without blocking a thread.</summary>
    /// <returns>A task that completes when the workers are gone.</returns>
    public async ValueTask DisposeAsync()
    {
        Terminate();
        Interrupts.Unwatch(this);
        await _state.Stopped.WaitAsync(_settings.TerminateGrace + TimeSpan.FromSeconds(5)).ContinueWith(
            static _ => { },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).ConfigureAwait(false);
        _actor.Tell(PoisonPill.Instance);
        _resultThread.Dispose();
        _closing.Dispose();
        _terminating.Dispose();
    }

    /// <summary>Python's <c>repr(pool)</c>.</summary>
    /// <returns>The pool's state and size.</returns>
    public override string ToString()
    {
        var state = _state.Broken is not null ? "BROKEN" : ((PoolPhase)Volatile.Read(ref _phase)) switch
        {
            PoolPhase.Running => "RUN",
            PoolPhase.Closed => "CLOSE",
            _ => "TERMINATE",
        };
        return $"<Multiprocessing.Pool state={state} pool_size={Processes}>";
    }

    /// <summary>Terminates the pool; pending results fail with <paramref name="reason"/> (default: <see cref="PoolTerminatedException"/>).</summary>
    private void TerminateWith(Exception? reason)
    {
        if (Interlocked.Exchange(ref _phase, (int)PoolPhase.Terminated) != (int)PoolPhase.Terminated)
        {
            _closing.Cancel();
            _terminating.Cancel();
            _actor.Tell(reason is null ? PoolProtocol.Terminate.Instance : new PoolProtocol.Terminate(reason));
        }
    }

    private void EnsureRunning()
    {
        if (_state.Broken is { } broken)
        {
            throw new BrokenPoolException(broken.Message, broken.InnerException);
        }

        if (Volatile.Read(ref _phase) != (int)PoolPhase.Running)
        {
            throw new InvalidOperationException("Pool not running: it was closed or terminated; create a new Pool (P-51).");
        }

        // Submitting work is a synchronization point: the tasks see every earlier write of this process.
        Internal.Sharing.Caller.DrainWrites();
    }

    private AsyncResult<TResult> SubmitApply<TArgs, TResult>(
        Delegate function, ArgsShape shape, TArgs args, Action<TResult>? callback, Action<Exception>? errorCallback, TaskLimits? limits = null)
    {
        EnsureRunning();
        var effective = Limits(limits);
        var spec = FunctionSpec.Create(function, typeof(TArgs), typeof(TResult), shape, "func");
        var chunk = CheckSize(ChunkBuilder.Encode([args], 0, spec.DisplayName), spec);
        var result = new AsyncResult<TResult>(_resultThread, callback, errorCallback);
        using var activity = StartSubmitActivity("apply", spec, 1);
        var job = new ApplyJob<TResult>(spec, result) { TraceParent = Telemetry.TraceParent(activity) };
        _actor.Tell(new PoolProtocol.Submit(job, [new PoolProtocol.PendingChunk(0, chunk)], effective));
        return result;
    }

    private AsyncResult<IReadOnlyList<TResult>> SubmitMap<TArgs, TResult>(
        Delegate function,
        ArgsShape shape,
        IEnumerable<TArgs> items,
        int? chunksize,
        Action<IReadOnlyList<TResult>>? callback,
        Action<Exception>? errorCallback,
        TaskLimits? limits = null,
        IProgress<PoolProgress>? progress = null)
    {
        EnsureRunning();
        ArgumentNullException.ThrowIfNull(items);
        var effective = Limits(limits);
        ValidateChunksize(chunksize);
        var spec = FunctionSpec.Create(function, typeof(TArgs), typeof(TResult), shape, "func");

        // P-31: the input is read in full, in the caller, before anything is submitted.
        var list = items as IReadOnlyList<TArgs> ?? items.ToList();
        var encoded = ChunkBuilder.EncodeAll(
            list, chunksize ?? DefaultChunksize(list.Count), chunksize is null, _settings.MaxChunkBytes, spec.DisplayName);
        var chunks = new List<PoolProtocol.PendingChunk>(encoded.Count);
        var offsets = new int[encoded.Count];
        for (var i = 0; i < encoded.Count; i++)
        {
            offsets[i] = encoded[i].Offset;
            chunks.Add(new PoolProtocol.PendingChunk(i, CheckSize(encoded[i].Chunk, spec)));
        }

        var result = new AsyncResult<IReadOnlyList<TResult>>(_resultThread, callback, errorCallback);
        var tracker = ProgressTracker.Create(progress, _resultThread, list.Count);
        using var activity = StartSubmitActivity("map", spec, list.Count);
        var job = new MapJob<TResult>(spec, result, offsets, list.Count, tracker) { TraceParent = Telemetry.TraceParent(activity) };
        if (chunks.Count > 0)
        {
            _actor.Tell(new PoolProtocol.Submit(job, chunks, effective));
        }
        else
        {
            tracker?.TotalKnown(0);
        }

        return result;
    }

    private ResultIterator<TResult> SubmitImap<TArgs, TResult>(
        Delegate function,
        ArgsShape shape,
        IEnumerable<TArgs> items,
        int chunksize,
        bool ordered,
        TaskLimits? limits = null,
        IProgress<PoolProgress>? progress = null)
    {
        EnsureRunning();
        ArgumentNullException.ThrowIfNull(items);
        var effective = Limits(limits);
        ValidateChunksize(chunksize);
        var spec = FunctionSpec.Create(function, typeof(TArgs), typeof(TResult), shape, "func");
        var window = new SemaphoreSlim(_settings.ImapBufferPerWorker * Processes);
        var iterator = new ResultIterator<TResult>(ordered, () => window.Release());
        using var activity = StartSubmitActivity(ordered ? "imap" : "imap_unordered", spec, null);
        var job = new ImapJob<TResult>(spec, iterator, ProgressTracker.Create(progress, _resultThread, null))
        {
            TraceParent = Telemetry.TraceParent(activity),
        };

        // Registered now, from the caller's thread, so a Close() right after this call still lets the job finish.
        _actor.Tell(new PoolProtocol.Submit(job, []));
        var feeder = new Thread(() => Feed(job, spec, items, chunksize, window, effective))
        {
            IsBackground = true,
            Name = $"multiprocessing-imap-{job.Id}-input",
        };
        feeder.Start();
        return iterator;
    }

    /// <summary>
    /// Reads an imap input lazily, at most a window of unconsumed chunks ahead of the caller (P-47 target). Chunks
    /// that fit the window at once are sent together.
    /// </summary>
    private void Feed<TArgs, TResult>(
        ImapJob<TResult> job, FunctionSpec spec, IEnumerable<TArgs> items, int chunksize, SemaphoreSlim window, ChunkLimits limits)
    {
        const int MaxBatch = 64;
        var index = 0;
        var itemIndex = 0;
        var batch = new List<PoolProtocol.PendingChunk>();
        var buffer = new List<TArgs>(Math.Min(chunksize, 1024));
        void Flush()
        {
            if (batch.Count > 0)
            {
                _actor.Tell(new PoolProtocol.Submit(job, batch, limits));
                batch = [];
            }
        }

        try
        {
            using var enumerator = items.GetEnumerator();
            var hasSlot = false;
            while (true)
            {
                if (!hasSlot && !_closing.IsCancellationRequested)
                {
                    Flush();
                    try
                    {
                        window.Wait(_closing.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // Closed: the rest of the input is read without a window so Join() can finish, as in Python.
                    }
                }

                if (_terminating.IsCancellationRequested)
                {
                    return;
                }

                buffer.Clear();
                var more = true;
                while (buffer.Count < chunksize && (more = enumerator.MoveNext()))
                {
                    buffer.Add(enumerator.Current);
                }

                if (buffer.Count > 0)
                {
                    job.Progress?.Sized(index, buffer.Count);
                    try
                    {
                        var chunk = CheckSize(ChunkBuilder.Encode(buffer, itemIndex, spec.DisplayName), spec);
                        batch.Add(new PoolProtocol.PendingChunk(index++, chunk));
                    }
                    catch (TaskSerializationException ex)
                    {
                        // P-71: this chunk fails with the serialization error; the others go on.
                        Flush();
                        _actor.Tell(new PoolProtocol.ChunkRejected(job, index++, ex));
                    }

                    itemIndex += buffer.Count;
                }

                if (!more)
                {
                    Flush();
                    job.Progress?.TotalKnown(itemIndex);
                    _actor.Tell(new PoolProtocol.InputEnd(job, index, null));
                    return;
                }

                hasSlot = batch.Count < MaxBatch && (_closing.IsCancellationRequested || window.Wait(0));
                if (!hasSlot || batch.Count >= MaxBatch)
                {
                    Flush();
                }
            }
        }
        catch (Exception ex)
        {
            // P-46: the input itself raised; results before it are delivered, then this error at its position.
            Flush();
            job.Progress?.TotalKnown(itemIndex);
            _actor.Tell(new PoolProtocol.InputEnd(job, index + 1, ex));
        }
    }

    /// <summary>The call's limits over the pool's.</summary>
    private ChunkLimits Limits(TaskLimits? limits)
    {
        if (limits is null)
        {
            return _limits;
        }

        var soft = limits.Timeout ?? _limits.Soft;
        var hard = limits.HardTimeout ?? _limits.Hard;
        TaskLimits.Validate(soft, hard, "TaskLimits.Timeout (or the pool's TaskTimeout)", "TaskLimits.HardTimeout (or the pool's TaskHardTimeout)", nameof(limits));
        return new ChunkLimits(soft, hard);
    }

    /// <summary>The driver's span of one submission; its trace context travels with the chunks.</summary>
    private System.Diagnostics.Activity? StartSubmitActivity(string method, FunctionSpec spec, int? items)
    {
        var activity = Telemetry.Source.StartActivity(Diagnostics.SubmitActivity, System.Diagnostics.ActivityKind.Producer);
        activity?.SetTag(Diagnostics.FunctionTag, spec.DisplayName);
        activity?.SetTag("multiprocessing.method", method);
        activity?.SetTag(Diagnostics.PoolTag, _name);
        if (items is { } count)
        {
            activity?.SetTag("multiprocessing.items", count);
        }

        return activity;
    }

    private int DefaultChunksize(int count)
    {
        // P-32: ceil(n / (4 * workers)); an empty input needs no chunks at all.
        if (count == 0)
        {
            return 1;
        }

        var (q, r) = Math.DivRem(count, 4 * Processes);
        return q + (r > 0 ? 1 : 0);
    }

    private static void ValidateChunksize(int? chunksize)
    {
        if (chunksize is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(chunksize), chunksize, $"Chunksize must be 1+, not {chunksize} (P-44).");
        }
    }

    private static byte[] CheckSize(byte[] chunk, FunctionSpec spec)
    {
        Internal.Serialization.MessageLimit.Check(chunk.Length, $"A chunk of {spec.DisplayName}'s arguments", "Use a smaller chunksize.");
        return chunk;
    }

    private static (FunctionSpec? Spec, byte[]? Args) DescribeInitializer(Delegate? initializer, IReadOnlyList<object?>? args)
    {
        if (initializer is null)
        {
            return args is { Count: > 0 }
                ? throw new ArgumentException("InitializerArgs were given without an Initializer.", nameof(args))
                : (null, null);
        }

        return DelegateCall.Describe(initializer, args, "initializer");
    }
}
