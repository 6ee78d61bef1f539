using System.Buffers;
using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using MessagePack;
using Multiprocessing.Internal;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Serialization;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Pooling.PoolProtocol;

namespace Multiprocessing.Tests.Internal.Pooling;

/// <summary>
/// The pool router without processes: a fake <see cref="IWorkerLauncher"/> records launches and the tests play the
/// workers with probes (register with the launch token, set up, take chunks, answer results, die). Spec ids refer to
/// /work/shared/spec/python-semantics.md.
/// </summary>
public sealed class PoolActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>A slow measured chunk (1 s): the window stays at prefetch-min.</summary>
    private const long SlowMicros = 1_000_000;

    private static readonly FunctionSpec SquareSpec =
        FunctionSpec.Create(new Func<int, int>(Square), typeof(int), typeof(int), ArgsShape.Single, "func");

    private static readonly FunctionSpec InitSpec =
        FunctionSpec.Create(new Action(Init), typeof(Nil), typeof(Nil), ArgsShape.None, "initializer");

    private static int _pools;

    public PoolActorTests(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(MultiprocessingRuntime.DefaultConfig()), null, output)
    {
    }

    // ----- launch and registration -----

    [Fact]
    public async Task PreStart_launches_one_worker_per_process_with_the_pool_path_and_one_secret_token_P07()
    {
        var pool = StartPool(processes: 3);

        await AwaitAssertAsync(() => Assert.Equal(3, pool.Launcher.Launches.Count), Wait);
        var launches = pool.Launcher.Launches;
        Assert.Equal([1, 2, 3], launches.Select(l => l.WorkerId));
        Assert.All(launches, l => Assert.Equal(pool.Actor, l.Pool));
        Assert.All(launches, l => Assert.EndsWith(pool.Actor.Path.ToStringWithoutAddress(), l.PoolPath, StringComparison.Ordinal));
        Assert.Single(launches.Select(l => l.Token).Distinct());
        Assert.Matches("^[0-9a-f]{32}$", launches[0].Token);
    }

    [Fact]
    public async Task RegisterWorker_answers_WorkerSetup_with_the_initializer_and_batch_size_when_the_token_matches()
    {
        var pool = StartPool(initializer: InitSpec, initializerArgs: [0x90]);
        var launch = await LaunchAsync(pool, 0);
        var probe = CreateTestProbe();

        probe.Send(pool.Actor, new RegisterWorker(launch.WorkerId, launch.Handle.Pid, launch.Token));

        var setup = await probe.ExpectMsgAsync<WorkerSetup>(Wait);
        Assert.Same(InitSpec, setup.Initializer);
        Assert.Equal(new byte[] { 0x90 }, setup.InitializerArgs);
        Assert.Equal(Settings(null).ResultBatchMax, setup.ResultBatchMax);
    }

    [Fact]
    public async Task RegisterWorker_is_refused_with_StopWorker_when_the_token_is_wrong()
    {
        var pool = StartPool();
        var launch = await LaunchAsync(pool, 0);
        var intruder = CreateTestProbe();

        intruder.Send(pool.Actor, new RegisterWorker(launch.WorkerId, 4242, "0123456789abcdef0123456789abcdef"));

        var stop = await intruder.ExpectMsgAsync<StopWorker>(Wait);
        Assert.True(stop.Immediately);
        await intruder.ExpectNoMsgAsync(Quiet);

        // The slot is still waiting for its real worker, which registers normally.
        var worker = await ConnectAsync(pool, 0);
        Assert.Equal(launch.WorkerId, worker.Id);
    }

    [Fact]
    public async Task RegisterWorker_is_refused_with_StopWorker_when_the_worker_is_unknown_or_already_registered()
    {
        var pool = StartPool();
        var worker = await ConnectAsync(pool, 0);
        var launch = pool.Launcher.Launches[0];

        var stranger = CreateTestProbe();
        stranger.Send(pool.Actor, new RegisterWorker(99, 4242, launch.Token));
        Assert.True((await stranger.ExpectMsgAsync<StopWorker>(Wait)).Immediately);

        var twin = CreateTestProbe();
        twin.Send(pool.Actor, new RegisterWorker(worker.Id, 4243, launch.Token));
        Assert.True((await twin.ExpectMsgAsync<StopWorker>(Wait)).Immediately);

        // The registered worker keeps its slot and gets the work.
        var (submit, result) = Apply(6);
        pool.Actor.Tell(submit);
        var run = await worker.ExpectRunAsync();
        worker.Complete(run);
        Assert.Equal(36, await result.Task.WaitAsync(Wait));
        await twin.ExpectNoMsgAsync(Quiet);
    }

    // ----- dispatch: the prefetch window -----

    [Fact]
    public async Task Dispatch_sends_at_most_prefetch_min_chunks_per_worker_when_no_chunk_time_is_known()
    {
        var pool = StartPool(processes: 2);
        var (submit, result) = Map([1, 2, 3, 4, 5], chunksize: 1);
        pool.Actor.Tell(submit);

        var first = await ConnectAsync(pool, 0);
        var firstRun = await first.ExpectRunAsync();
        var second = await ConnectAsync(pool, 1);
        var secondRun = await second.ExpectRunAsync();

        // prefetch-min = 2 each; chunk 4 waits for room.
        Assert.Equal([0, 1], firstRun.Chunks.Select(c => c.Index));
        Assert.Equal([2, 3], secondRun.Chunks.Select(c => c.Index));
        await first.Probe.ExpectNoMsgAsync(Quiet);
        await second.Probe.ExpectNoMsgAsync(Quiet);

        // The function travels once per worker; later chunks name it by id.
        Assert.Same(SquareSpec, firstRun.Chunks[0].Function);
        Assert.Null(firstRun.Chunks[1].Function);
        Assert.Same(SquareSpec, secondRun.Chunks[0].Function);
        Assert.Single(firstRun.Chunks.Concat(secondRun.Chunks).Select(c => c.FunctionId).Distinct());

        // A slow measured chunk keeps the window at prefetch-min: one result frees one slot.
        first.Complete(firstRun, onlyIndex: 0);
        var refill = await first.ExpectRunAsync();
        Assert.Equal([4], refill.Chunks.Select(c => c.Index));
        Assert.Null(refill.Chunks[0].Function);

        first.Complete(firstRun, onlyIndex: 1);
        first.Complete(refill);
        second.Complete(secondRun);
        Assert.Equal([1, 4, 9, 16, 25], await result.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task Dispatch_widens_the_window_up_to_prefetch_target_when_measured_chunks_are_fast()
    {
        var pool = StartPool();
        var items = Enumerable.Range(1, 20).ToArray();
        var (submit, result) = Map(items, chunksize: 1);
        pool.Actor.Tell(submit);

        var worker = await ConnectAsync(pool, 0);
        var run = await worker.ExpectRunAsync();
        Assert.Equal(2, run.Chunks.Count);

        // 10 µs per chunk against a 2 ms target: a window of 200, so the other 18 chunks go at once.
        worker.Complete(run, micros: 10);
        var rest = await worker.ExpectRunAsync();
        Assert.Equal(Enumerable.Range(2, 18), rest.Chunks.Select(c => c.Index));

        worker.Complete(rest, micros: 10);
        Assert.Equal(items.Select(x => x * x), await result.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task Dispatch_sends_a_large_chunk_in_a_message_of_its_own_so_the_worker_starts_while_the_next_travels()
    {
        var pool = StartPool();
        var items = Enumerable.Range(100_000, 60_000).ToArray();
        var (submit, result) = Map(items, chunksize: 20_000);
        pool.Actor.Tell(submit);

        // Three chunks of about 100 KB each, above the 64 KiB two chunks may share: one message per chunk.
        var worker = await ConnectAsync(pool, 0);
        var first = await worker.ExpectRunAsync();
        var second = await worker.ExpectRunAsync();
        Assert.Equal([0], first.Chunks.Select(c => c.Index));
        Assert.Equal([1], second.Chunks.Select(c => c.Index));
        Assert.True(first.Chunks[0].Args.Length > PoolActor.SharedMessageBytes);

        worker.Complete(first, micros: 10);
        worker.Complete(second, micros: 10);
        var last = await worker.ExpectRunAsync();
        Assert.Equal([2], last.Chunks.Select(c => c.Index));

        worker.Complete(last, micros: 10);
        Assert.Equal(items.Select(x => unchecked(x * x)), await result.Task.WaitAsync(Wait));
    }

    // ----- results -----

    [Fact]
    public async Task ChunkResults_complete_a_MapJob_in_input_order_when_chunks_finish_out_of_order_P33()
    {
        var pool = StartPool(processes: 2);
        var (submit, result) = Map([1, 2, 3, 4, 5, 6, 7], chunksize: 3);
        pool.Actor.Tell(submit);
        var first = await ConnectAsync(pool, 0);
        var firstRun = await first.ExpectRunAsync();
        var second = await ConnectAsync(pool, 1);
        var secondRun = await second.ExpectRunAsync();
        Assert.Equal([0, 1], firstRun.Chunks.Select(c => c.Index));
        Assert.Equal([2], secondRun.Chunks.Select(c => c.Index));

        // Last chunk first, then the middle one: the job waits for every chunk.
        second.Complete(secondRun);
        first.Complete(firstRun, onlyIndex: 1);
        await SyncAsync(pool);
        Assert.False(result.Ready);

        first.Complete(firstRun, onlyIndex: 0);
        Assert.Equal([1, 4, 9, 16, 25, 36, 49], await result.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task ChunkResults_fail_a_MapJob_with_the_first_error_received_only_after_every_chunk_finished_P34_P35()
    {
        var pool = StartPool();
        var (submit, result) = Map([1, 2, 3], chunksize: 1);
        pool.Actor.Tell(submit);
        var worker = await ConnectAsync(pool, 0);
        var run = await worker.ExpectRunAsync();

        worker.Fail(run.Chunks[1], new InvalidOperationException("first failure"));
        worker.Complete(run, onlyIndex: 0);
        var last = await worker.ExpectRunAsync();
        Assert.False(result.Ready);

        worker.Fail(last.Chunks[0], new ArgumentException("second failure"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => result.Task.WaitAsync(Wait));
        Assert.Equal("first failure", error.Message);
    }

    [Fact]
    public async Task ChunkResults_from_a_sender_that_is_not_the_registered_worker_are_ignored()
    {
        var pool = StartPool();
        var (submit, result) = Apply(3);
        pool.Actor.Tell(submit);
        var worker = await ConnectAsync(pool, 0);
        var run = await worker.ExpectRunAsync();

        var impostor = CreateTestProbe();
        impostor.Send(pool.Actor, Results(worker.Id, run, _ => -1));
        await SyncAsync(pool);
        Assert.False(result.Ready);

        worker.Complete(run);
        Assert.Equal(9, await result.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task ChunkRejected_fails_the_chunk_without_running_it_and_the_job_after_its_other_chunks_P71()
    {
        var pool = StartPool();
        var (submit, result) = Map([1, 2], chunksize: 1);
        pool.Actor.Tell(submit with { Chunks = [submit.Chunks[0]] });
        pool.Actor.Tell(new ChunkRejected(submit.Job, 1, new TaskSerializationException("Argument 1 cannot be serialized")));
        var worker = await ConnectAsync(pool, 0);

        var run = await worker.ExpectRunAsync();
        Assert.Equal([0], run.Chunks.Select(c => c.Index));
        Assert.False(result.Ready);

        worker.Complete(run);
        var error = await Assert.ThrowsAsync<TaskSerializationException>(() => result.Task.WaitAsync(Wait));
        Assert.Contains("Argument 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InputEnd_completes_an_imap_job_fed_after_Close_and_only_then_stops_the_workers_P50()
    {
        var pool = StartPool();
        var iterator = new ResultIterator<int>(ordered: true, () => { });
        var job = new ImapJob<int>(SquareSpec, iterator);
        pool.Actor.Tell(new Submit(job, [new PendingChunk(0, ChunkBuilder.Encode([2, 3], 0, SquareSpec.DisplayName))]));
        var worker = await ConnectAsync(pool, 0);
        var first = await worker.ExpectRunAsync();

        // Close while the lazy input is still being read: the job is still open, so the worker stays.
        pool.Actor.Tell(Close.Instance);
        worker.Complete(first);
        Assert.Equal(4, await iterator.NextAsync(Wait));
        Assert.Equal(9, await iterator.NextAsync(Wait));
        await worker.Probe.ExpectNoMsgAsync(Quiet);

        pool.Actor.Tell(new Submit(job, [new PendingChunk(1, ChunkBuilder.Encode([4], 2, SquareSpec.DisplayName))]));
        var second = await worker.ExpectRunAsync();
        Assert.Equal([1], second.Chunks.Select(c => c.Index));
        worker.Complete(second);
        pool.Actor.Tell(new InputEnd(job, 2, null));

        Assert.Equal(16, await iterator.NextAsync(Wait));
        await Assert.ThrowsAsync<StopIterationException>(() => iterator.NextAsync(Wait));
        Assert.False((await worker.Probe.ExpectMsgAsync<StopWorker>(Wait)).Immediately);
        pool.Actor.Tell(new WorkerExited(worker.Id, 0));
        await pool.State.Stopped.WaitAsync(Wait);
    }

    // ----- worker death (P-74 target) -----

    [Fact]
    public async Task WorkerExited_requeues_in_flight_chunks_to_another_ready_worker_and_launches_a_replacement_P74()
    {
        var pool = StartPool(processes: 2);
        var (submit, result) = Map([3, 4], chunksize: 1);
        pool.Actor.Tell(submit);
        var doomed = await ConnectAsync(pool, 0);
        var lost = await doomed.ExpectRunAsync();
        Assert.Equal([0, 1], lost.Chunks.Select(c => c.Index));
        var survivor = await ConnectAsync(pool, 1);
        await survivor.Probe.ExpectNoMsgAsync(Quiet);

        pool.Actor.Tell(new WorkerExited(doomed.Id, 137));

        // The lost chunks come first, in order, with the function (new to this worker).
        var rerun = await survivor.ExpectRunAsync();
        Assert.Equal(0, rerun.Chunks[0].Index);
        Assert.Same(SquareSpec, rerun.Chunks[0].Function);
        var replacement = await LaunchAsync(pool, 2);
        Assert.Equal(3, replacement.WorkerId);

        // A late answer of the dead worker does not count.
        doomed.Complete(lost, value: _ => -1);
        await SyncAsync(pool);
        Assert.False(result.Ready);

        // Both lost chunks run again on the survivor, with the same arguments (in one batch or one by one).
        var rerunChunks = new List<ChunkTask>(rerun.Chunks);
        survivor.Complete(rerun);
        while (rerunChunks.Count < lost.Chunks.Count)
        {
            var more = await survivor.ExpectRunAsync();
            rerunChunks.AddRange(more.Chunks);
            survivor.Complete(more);
        }

        Assert.Equal([0, 1], rerunChunks.Select(c => c.Index));
        Assert.Equal(lost.Chunks.Select(c => c.Args), rerunChunks.Select(c => c.Args));
        Assert.Equal([9, 16], await result.Task.WaitAsync(Wait));
        Assert.Equal(3, pool.Launcher.Launches.Count);
    }

    [Fact]
    public async Task Terminated_worker_connection_kills_its_process_and_requeues_its_chunks_P74()
    {
        var pool = StartPool(processes: 2);
        var (submit, result) = Apply(5);
        pool.Actor.Tell(submit);
        var doomed = await ConnectAsync(pool, 0);
        await doomed.ExpectRunAsync();
        var survivor = await ConnectAsync(pool, 1);

        Sys.Stop(doomed.Probe.Ref);

        var rerun = await survivor.ExpectRunAsync();
        survivor.Complete(rerun);
        Assert.Equal(25, await result.Task.WaitAsync(Wait));
        await AwaitAssertAsync(() => Assert.Equal(1, doomed.Launch.Handle.Kills), Wait);
        await LaunchAsync(pool, 2);
    }

    [Fact]
    public async Task WorkerExited_fails_the_chunk_with_WorkerLostException_when_it_killed_max_retries_workers_P74()
    {
        var pool = StartPool();
        var maxRetries = Settings(null).MaxRetries;
        var (submit, result) = Apply(7);
        pool.Actor.Tell(submit);

        // Each of max-retries runs kills its worker; the last death fails the task.
        Worker? last = null;
        for (var death = 1; death <= maxRetries; death++)
        {
            last = await ConnectAsync(pool, death - 1);
            Assert.False(result.Ready, $"The task failed after only {death - 1} death(s).");
            var run = await last.ExpectRunAsync();
            Assert.Equal(0, Assert.Single(run.Chunks).Index);
            pool.Actor.Tell(new WorkerExited(last.Id, 137));
        }

        var error = await Assert.ThrowsAsync<WorkerLostException>(() => result.Task.WaitAsync(Wait));
        Assert.Equal(last!.Launch.Handle.Pid, error.Pid);
        Assert.Equal(137, error.ExitCode);
        Assert.Contains($"max-retries = {maxRetries}", error.Message, StringComparison.Ordinal);

        // The pool stays usable: a replacement takes new work.
        var next = await ConnectAsync(pool, maxRetries);
        var (again, value) = Apply(8);
        pool.Actor.Tell(again);
        next.Complete(await next.ExpectRunAsync());
        Assert.Equal(64, await value.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task WorkerExited_fails_only_the_poison_chunk_when_an_innocent_chunk_shared_its_prefetch_window_P74()
    {
        // Task A kills every worker that runs it; task B is harmless but sits behind A in the same window.
        var pool = StartPool();
        var (poison, poisonResult) = Apply(-1);
        var (innocent, innocentResult) = Apply(2);
        pool.Actor.Tell(poison);
        pool.Actor.Tell(innocent);
        var poisonJob = poison.Job.Id;

        for (var incarnation = 0; incarnation < 12 && !(poisonResult.Ready && innocentResult.Ready); incarnation++)
        {
            var worker = await ConnectAsync(pool, incarnation);
            while (!(poisonResult.Ready && innocentResult.Ready))
            {
                var run = await worker.ExpectRunAsync();
                if (run.Chunks.Any(c => c.JobId == poisonJob))
                {
                    // It runs A first (the worker runs chunks in order) and dies: B never started.
                    pool.Actor.Tell(new WorkerExited(worker.Id, 137));
                    break;
                }

                worker.Complete(run);
                await SyncAsync(pool);
            }
        }

        await Assert.ThrowsAsync<WorkerLostException>(() => poisonResult.Task.WaitAsync(Wait));
        var innocentError = await Record.ExceptionAsync(() => innocentResult.Task.WaitAsync(Wait));
        Assert.True(
            innocentError is null,
            $"Task B only waited behind the poison task A in the worker's window and never ran, yet it failed: {innocentError?.Message}");
        Assert.Equal(4, await innocentResult.Task);
    }

    // ----- broken pool (P-06 target) -----

    [Fact]
    public async Task WorkerInitFailed_breaks_the_pool_and_fails_pending_and_later_jobs_with_BrokenPoolException_P06()
    {
        var pool = StartPool(processes: 2, initializer: InitSpec);
        var (submit, result) = Apply(2);
        pool.Actor.Tell(submit);
        var launch = await LaunchAsync(pool, 0);
        var probe = CreateTestProbe();
        probe.Send(pool.Actor, new RegisterWorker(launch.WorkerId, launch.Handle.Pid, launch.Token));
        await probe.ExpectMsgAsync<WorkerSetup>(Wait);

        probe.Send(pool.Actor, new WorkerInitFailed(launch.WorkerId, RemoteError.From(new InvalidOperationException("init boom"))));

        var error = await Assert.ThrowsAsync<BrokenPoolException>(() => result.Task.WaitAsync(Wait));
        var cause = Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal("init boom", cause.Message);
        Assert.Contains(launch.Handle.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Same(error, pool.State.Broken);

        // Every worker is asked to stop at once (a message when connected, else its lifeline); none is replaced.
        Assert.True((await probe.ExpectMsgAsync<StopWorker>(Wait)).Immediately);
        var unregistered = await LaunchAsync(pool, 1);
        await AwaitAssertAsync(() => Assert.Equal(1, unregistered.Handle.Stops), Wait);
        Assert.Equal(2, pool.Launcher.Launches.Count);

        // Later submissions fail with the same error.
        var (later, laterResult) = Apply(3);
        pool.Actor.Tell(later);
        Assert.Same(error, await Assert.ThrowsAsync<BrokenPoolException>(() => laterResult.Task.WaitAsync(Wait)));

        // The pool is stopped once its workers exited.
        Assert.False(pool.State.Stopped.IsCompleted);
        foreach (var l in pool.Launcher.Launches)
        {
            pool.Actor.Tell(new WorkerExited(l.WorkerId, 1));
        }

        await pool.State.Stopped.WaitAsync(Wait);
        Assert.Equal(2, pool.Launcher.Launches.Count);
    }

    [Fact]
    public async Task WorkerExited_before_registering_breaks_the_pool_after_max_start_failures_in_a_row_P06()
    {
        var pool = StartPool();
        var failures = Settings(null).MaxStartFailures;
        var (submit, result) = Apply(2);
        pool.Actor.Tell(submit);

        for (var i = 0; i < failures; i++)
        {
            var launch = await LaunchAsync(pool, i);
            launch.Handle.StderrTail = $"Unhandled exception number {i}";
            pool.Actor.Tell(new WorkerExited(launch.WorkerId, 134));
        }

        var error = await Assert.ThrowsAsync<BrokenPoolException>(() => result.Task.WaitAsync(Wait));
        Assert.Contains($"Unhandled exception number {failures - 1}", error.Message, StringComparison.Ordinal);
        Assert.Same(error, pool.State.Broken);
        await pool.State.Stopped.WaitAsync(Wait);
        Assert.Equal(failures, pool.Launcher.Launches.Count);
    }

    [Fact]
    public async Task WorkerExited_while_the_initializer_runs_breaks_the_pool_after_max_start_failures_in_a_row_P06()
    {
        // An initializer that kills its process (Environment.Exit, a crash) never reports WorkerInitFailed.
        var pool = StartPool(initializer: InitSpec);
        var failures = Settings(null).MaxStartFailures;
        var (submit, result) = Apply(2);
        pool.Actor.Tell(submit);

        for (var i = 0; i < failures; i++)
        {
            var launch = await LaunchAsync(pool, i);
            var probe = CreateTestProbe();
            probe.Send(pool.Actor, new RegisterWorker(launch.WorkerId, launch.Handle.Pid, launch.Token));
            await probe.ExpectMsgAsync<WorkerSetup>(Wait);
            pool.Actor.Tell(new WorkerExited(launch.WorkerId, 1));
        }

        var outcome = await Record.ExceptionAsync(() => result.Task.WaitAsync(Wait));
        Assert.True(
            outcome is BrokenPoolException,
            $"{failures} workers in a row died in their initializer, yet the pool is not broken: it launched " +
            $"{pool.Launcher.Launches.Count} workers and the pending task {(outcome is null ? "succeeded" : $"ended with {outcome.GetType().Name}")}.");
        Assert.IsType<BrokenPoolException>(pool.State.Broken);
        await SyncAsync(pool);
        Assert.Equal(failures, pool.Launcher.Launches.Count);
    }

    [Fact]
    public async Task PreStart_breaks_the_pool_when_the_launcher_cannot_start_a_worker()
    {
        var pool = StartPool(failLaunch: true);
        var (submit, result) = Apply(2);
        pool.Actor.Tell(submit);

        var error = await Assert.ThrowsAsync<BrokenPoolException>(() => result.Task.WaitAsync(Wait));
        Assert.IsType<IOException>(error.InnerException);
        await pool.State.Stopped.WaitAsync(Wait);
    }

    [Fact]
    public async Task WorkerStartTimedOut_kills_a_worker_that_did_not_register_in_time()
    {
        var pool = StartPool(settings: "multiprocessing.pool.worker-start-timeout = 200ms");
        var launch = await LaunchAsync(pool, 0);

        await AwaitAssertAsync(() => Assert.Equal(1, launch.Handle.Kills), Wait);

        // Its exit counts as a failed start and a replacement is launched.
        pool.Actor.Tell(new WorkerExited(launch.WorkerId, 137));
        await LaunchAsync(pool, 1);
    }

    // ----- close and terminate -----

    [Fact]
    public async Task Terminate_fails_pending_and_running_jobs_with_PoolTerminatedException_and_kills_workers_after_the_grace_P53()
    {
        var pool = StartPool(processes: 2, settings: "multiprocessing.pool.terminate-grace = 200ms");
        var (running, runningResult) = Map([1, 2, 3], chunksize: 1);
        var (queued, queuedResult) = Apply(4);
        pool.Actor.Tell(running);
        pool.Actor.Tell(queued);
        var worker = await ConnectAsync(pool, 0);
        await worker.ExpectRunAsync();

        pool.Actor.Tell(Terminate.Instance);

        await Assert.ThrowsAsync<PoolTerminatedException>(() => runningResult.Task.WaitAsync(Wait));
        await Assert.ThrowsAsync<PoolTerminatedException>(() => queuedResult.Task.WaitAsync(Wait));
        var launches = pool.Launcher.Launches;
        Assert.Equal(2, launches.Count);

        // Stop at once: the connected worker by message, the one still starting by its lifeline; then, after
        // terminate-grace, both are killed.
        Assert.True((await worker.Probe.ExpectMsgAsync<StopWorker>(Wait)).Immediately);
        await AwaitAssertAsync(() => Assert.Equal(1, launches[1].Handle.Stops), Wait);
        await AwaitAssertAsync(() => Assert.All(launches, l => Assert.Equal(1, l.Handle.Kills)), Wait);

        // Submissions after terminate are refused (P-51).
        var (late, lateResult) = Apply(5);
        pool.Actor.Tell(late);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => lateResult.Task.WaitAsync(Wait));
        Assert.Contains("P-51", refused.Message, StringComparison.Ordinal);

        Assert.False(pool.State.Stopped.IsCompleted);
        foreach (var l in launches)
        {
            pool.Actor.Tell(new WorkerExited(l.WorkerId, 137));
        }

        await pool.State.Stopped.WaitAsync(Wait);
        Assert.Equal(2, pool.Launcher.Launches.Count);
        await worker.Probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Close_lets_queued_work_finish_then_asks_idle_workers_to_stop_P50()
    {
        var pool = StartPool();
        var (submit, result) = Map([1, 2, 3], chunksize: 1);
        pool.Actor.Tell(submit);
        var worker = await ConnectAsync(pool, 0);
        var run = await worker.ExpectRunAsync();

        pool.Actor.Tell(Close.Instance);
        worker.Complete(run);
        var last = await worker.ExpectRunAsync();
        worker.Complete(last);

        Assert.Equal([1, 4, 9], await result.Task.WaitAsync(Wait));
        Assert.False((await worker.Probe.ExpectMsgAsync<StopWorker>(Wait)).Immediately);

        var (late, lateResult) = Apply(5);
        pool.Actor.Tell(late);
        await Assert.ThrowsAsync<InvalidOperationException>(() => lateResult.Task.WaitAsync(Wait));

        pool.Actor.Tell(new WorkerExited(worker.Id, 0));
        await pool.State.Stopped.WaitAsync(Wait);
        Assert.Single(pool.Launcher.Launches);
    }

    // ----- maxtasksperchild (P-60) -----

    [Fact]
    public async Task MaxTasksPerChild_stops_dispatch_at_the_limit_and_launches_a_replacement_P60()
    {
        var pool = StartPool(maxTasksPerChild: 2);
        var (submit, result) = Map([1, 2, 3], chunksize: 1);
        pool.Actor.Tell(submit);
        var retiring = await ConnectAsync(pool, 0);

        var run = await retiring.ExpectRunAsync();
        Assert.Equal([0, 1], run.Chunks.Select(c => c.Index));
        var replacementLaunch = await LaunchAsync(pool, 1);

        // The retiring worker gets nothing more; once its chunks are back it is asked to stop.
        retiring.Complete(run);
        Assert.False((await retiring.Probe.ExpectMsgAsync<StopWorker>(Wait)).Immediately);

        var replacement = await ConnectAsync(pool, 1);
        Assert.Equal(replacementLaunch.WorkerId, replacement.Id);
        var rest = await replacement.ExpectRunAsync();
        Assert.Equal([2], rest.Chunks.Select(c => c.Index));
        Assert.Same(SquareSpec, rest.Chunks[0].Function);
        replacement.Complete(rest);
        Assert.Equal([1, 4, 9], await result.Task.WaitAsync(Wait));

        // Its exit is expected: no further replacement.
        pool.Actor.Tell(new WorkerExited(retiring.Id, 0));
        await SyncAsync(pool);
        Assert.Equal(2, pool.Launcher.Launches.Count);
        await retiring.Probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task MaxTasksPerChild_caps_a_batch_below_the_prefetch_window_P60()
    {
        var pool = StartPool(maxTasksPerChild: 1);
        var (submit, result) = Map([1, 2], chunksize: 1);
        pool.Actor.Tell(submit);

        var first = await ConnectAsync(pool, 0);
        var run = await first.ExpectRunAsync();
        Assert.Equal([0], run.Chunks.Select(c => c.Index));
        first.Complete(run);
        await first.Probe.ExpectMsgAsync<StopWorker>(Wait);

        var second = await ConnectAsync(pool, 1);
        var rest = await second.ExpectRunAsync();
        Assert.Equal([1], rest.Chunks.Select(c => c.Index));
        second.Complete(rest);
        Assert.Equal([1, 4], await result.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task MaxTasksPerChild_runs_twelve_single_item_tasks_on_six_workers_of_two_tasks_each_P60_P62()
    {
        var pool = StartPool(processes: 2, maxTasksPerChild: 2, autoWorkers: true);
        var items = Enumerable.Range(1, 12).ToArray();
        var (submit, result) = Map(items, chunksize: 1);
        pool.Actor.Tell(submit);

        Assert.Equal(items.Select(x => x * x), await result.Task.WaitAsync(Wait));
        var ran = pool.Launcher.ChunksRun;
        Assert.Equal(6, ran.Count);
        Assert.All(ran.Values, count => Assert.Equal(2, count));
    }

    [Fact]
    public async Task MaxTasksPerChild_leaves_results_correct_while_workers_retire_P62()
    {
        var pool = StartPool(processes: 4, maxTasksPerChild: 10, autoWorkers: true);
        var items = Enumerable.Range(0, 100).ToArray();
        var (submit, result) = Map(items, chunksize: 1);
        pool.Actor.Tell(submit);

        Assert.Equal(items.Select(x => x * x), await result.Task.WaitAsync(TimeSpan.FromSeconds(15)));
        var ran = pool.Launcher.ChunksRun;
        Assert.Equal(100, ran.Values.Sum());
        Assert.True(ran.Count >= 10, $"Only {ran.Count} workers ran the 100 chunks.");
        Assert.All(ran.Values, count => Assert.InRange(count, 1, 10));
    }

    // ----- task functions (never run here: the tests play the workers) -----

    private static int Square(int x) => x * x;

    private static void Init()
    {
    }

    // ----- helpers -----

    private PoolSettings Settings(string? overrides) =>
        PoolSettings.Create(overrides is null ? Sys.Settings.Config : ConfigurationFactory.ParseString(overrides).WithFallback(Sys.Settings.Config));

    private TestPool StartPool(
        int processes = 1,
        int? maxTasksPerChild = null,
        FunctionSpec? initializer = null,
        byte[]? initializerArgs = null,
        string? settings = null,
        bool autoWorkers = false,
        bool failLaunch = false)
    {
        var launcher = new FakeLauncher(autoWorkers ? Sys : null, failLaunch);
        var state = new PoolState();
        var launch = new PoolLaunch(processes, maxTasksPerChild, initializer, initializerArgs);
        var actor = Sys.ActorOf(
            PoolActor.Props(Settings(settings), launch, launcher, state),
            $"pool-{Interlocked.Increment(ref _pools)}");
        return new TestPool(actor, launcher, state);
    }

    /// <summary>Waits for the <paramref name="index"/>-th launch (0-based).</summary>
    private async Task<Launch> LaunchAsync(TestPool pool, int index)
    {
        Launch? launch = null;
        await AwaitAssertAsync(
            () =>
            {
                launch = pool.Launcher.Launches.ElementAtOrDefault(index);
                Assert.True(launch is not null, $"Launch {index + 1} did not happen (launches: {pool.Launcher.Launches.Count}).");
            },
            Wait,
            Poll);
        return launch!;
    }

    /// <summary>Plays the <paramref name="index"/>-th launched worker up to ready: register with the token, take the setup, report ready.</summary>
    private async Task<Worker> ConnectAsync(TestPool pool, int index)
    {
        var launch = await LaunchAsync(pool, index);
        var probe = CreateTestProbe();
        probe.Send(pool.Actor, new RegisterWorker(launch.WorkerId, launch.Handle.Pid, launch.Token));
        await probe.ExpectMsgAsync<WorkerSetup>(Wait);
        probe.Send(pool.Actor, new WorkerReady(launch.WorkerId));
        return new Worker(probe, launch, pool.Actor);
    }

    /// <summary>Returns once the pool actor has handled everything sent to it before (a refused registration as a barrier).</summary>
    private async Task SyncAsync(TestPool pool)
    {
        var probe = CreateTestProbe();
        probe.Send(pool.Actor, new RegisterWorker(-1, 0, "sync"));
        await probe.ExpectMsgAsync<StopWorker>(Wait);
    }

    private static (Submit Submit, AsyncResult<int> Result) Apply(int argument)
    {
        var chunk = ChunkBuilder.Encode([argument], 0, SquareSpec.DisplayName);
        var result = new AsyncResult<int>(null, null, null);
        var job = new ApplyJob<int>(SquareSpec, result);
        return (new Submit(job, [new PendingChunk(0, chunk)]), result);
    }

    /// <summary>A map job cut as <c>Pool.Map</c> cuts it (<see cref="ChunkBuilder.EncodeAll"/>): chunks of <paramref name="chunksize"/> items and their offsets.</summary>
    private static (Submit Submit, AsyncResult<IReadOnlyList<int>> Result) Map(int[] items, int chunksize)
    {
        var encoded = ChunkBuilder.EncodeAll(items, chunksize, splitBySize: false, long.MaxValue, SquareSpec.DisplayName);
        var chunks = encoded.Select((e, i) => new PendingChunk(i, e.Chunk)).ToList();
        var offsets = encoded.Select(e => e.Offset).ToArray();

        var result = new AsyncResult<IReadOnlyList<int>>(null, null, null);
        var job = new MapJob<int>(SquareSpec, result, offsets, items.Length);
        return (new Submit(job, chunks), result);
    }

    /// <summary>The results a worker sends for <paramref name="chunks"/>: each entry mapped by <paramref name="value"/>.</summary>
    private static ChunkResults Results(int workerId, IEnumerable<ChunkTask> chunks, Func<int, int> value, long micros = SlowMicros) =>
        new(workerId, [.. chunks.Select(c => new ChunkResult(c.JobId, c.Index, EncodeResults(Entries(c).Select(value)), null, micros))]);

    private static ChunkResults Results(int workerId, RunChunks run, Func<int, int> value) => Results(workerId, run.Chunks, value);

    private static int[] Entries(ChunkTask chunk) => ChunkDecoder.Decode<int>(chunk.Args, "test arguments");

    /// <summary>Encodes results as <see cref="TaskRunner{TArgs, TResult}.RunChunk"/> does: one MessagePack array.</summary>
    private static byte[] EncodeResults(IEnumerable<int> values)
    {
        var list = values.ToList();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(list.Count);
        foreach (var value in list)
        {
            ValueCodec.Write(ref writer, value, "test result");
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private sealed record TestPool(IActorRef Actor, FakeLauncher Launcher, PoolState State);

    /// <summary>One <see cref="IWorkerLauncher.Start"/> call.</summary>
    private sealed record Launch(int WorkerId, string PoolPath, string Token, IActorRef Pool, FakeHandle Handle);

    /// <summary>A worker played by a probe.</summary>
    private sealed class Worker(TestProbe probe, Launch launch, IActorRef pool)
    {
        public TestProbe Probe => probe;

        public Launch Launch => launch;

        public int Id => launch.WorkerId;

        public async Task<RunChunks> ExpectRunAsync() => await probe.ExpectMsgAsync<RunChunks>(Wait);

        /// <summary>Answers every chunk of <paramref name="run"/> (or only chunk <paramref name="onlyIndex"/>) with its squares.</summary>
        public void Complete(RunChunks run, int? onlyIndex = null, long micros = SlowMicros, Func<int, int>? value = null) =>
            probe.Send(pool, Results(Id, run.Chunks.Where(c => onlyIndex is null || c.Index == onlyIndex), value ?? Square, micros));

        public void Fail(ChunkTask chunk, Exception error) =>
            probe.Send(pool, new ChunkResults(Id, [new ChunkResult(chunk.JobId, chunk.Index, null, RemoteError.From(error), SlowMicros)]));
    }

    /// <summary>Records launches; with a system, each launch starts an <see cref="AutoWorker"/> that plays the worker.</summary>
    private sealed class FakeLauncher(ActorSystem? autoSystem, bool fail) : IWorkerLauncher
    {
        private readonly object _gate = new();
        private readonly List<Launch> _launches = [];
        private readonly ConcurrentDictionary<int, int> _chunksRun = new();

        public IReadOnlyList<Launch> Launches
        {
            get
            {
                lock (_gate)
                {
                    return [.. _launches];
                }
            }
        }

        /// <summary>Chunks run by each auto worker, by pid.</summary>
        public IReadOnlyDictionary<int, int> ChunksRun => new Dictionary<int, int>(_chunksRun);

        public IWorkerHandle Start(int workerId, string poolPath, string token, IActorRef pool)
        {
            if (fail)
            {
                throw new IOException("no such executable");
            }

            var handle = new FakeHandle(10_000 + workerId);
            lock (_gate)
            {
                _launches.Add(new Launch(workerId, poolPath, token, pool, handle));
            }

            autoSystem?.ActorOf(Props.Create(() => new AutoWorker(pool, workerId, handle.Pid, token, _chunksRun)));
            return handle;
        }
    }

    private sealed class FakeHandle(int pid) : IWorkerHandle
    {
        private int _stops;
        private int _kills;

        public int Pid => pid;

        public string StderrTail { get; set; } = string.Empty;

        public int Stops => Volatile.Read(ref _stops);

        public int Kills => Volatile.Read(ref _kills);

        public void Stop() => Interlocked.Increment(ref _stops);

        public void Kill() => Interlocked.Increment(ref _kills);
    }

    /// <summary>A well-behaved worker: registers, is ready at once, answers every chunk, exits when asked.</summary>
    private sealed class AutoWorker : ReceiveActor
    {
        private readonly IActorRef _pool;
        private readonly int _workerId;
        private readonly int _pid;
        private readonly string _token;

        public AutoWorker(IActorRef pool, int workerId, int pid, string token, ConcurrentDictionary<int, int> chunksRun)
        {
            _pool = pool;
            _workerId = workerId;
            _pid = pid;
            _token = token;
            Receive<WorkerSetup>(_ => Sender.Tell(new WorkerReady(workerId)));
            Receive<RunChunks>(run =>
            {
                chunksRun.AddOrUpdate(pid, run.Chunks.Count, (_, n) => n + run.Chunks.Count);
                Sender.Tell(Results(workerId, run.Chunks, Square, micros: 1_000));
            });
            Receive<StopWorker>(_ =>
            {
                _pool.Tell(new WorkerExited(_workerId, 0));
                Context.Stop(Self);
            });
        }

        protected override void PreStart() => _pool.Tell(new RegisterWorker(_workerId, _pid, _token));
    }
}
