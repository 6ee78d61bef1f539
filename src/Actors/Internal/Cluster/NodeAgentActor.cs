using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Cluster.ClusterProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Cluster;

/// <summary>What a worker node offers and how it starts worker processes.</summary>
/// <param name="Processes">Worker processes this node offers (<c>--processes</c>).</param>
/// <param name="App">The app whose build the node runs (<c>--app</c>), or null to fetch each client's app.</param>
/// <param name="Hostname">The node's public hostname, for status.</param>
/// <param name="ChildOverrides">Runtime configuration of the worker processes (bind address, TLS).</param>
/// <param name="Registered">Completed when the coordinator has taken the node's offer.</param>
internal sealed record NodeOptions(int Processes, string? App, string Hostname, string? ChildOverrides, TaskCompletionSource? Registered = null);

/// <summary>
/// The agent of a worker node (<c>mp worker</c>): registers with the host's coordinator, starts worker processes for
/// clients' pools (with the node's copy of the app, or with the client's files fetched and verified by SHA-256), stops
/// them on request, and reports their exits to the pools. Its processes exit when the node does (stdin lifeline).
/// </summary>
internal sealed class NodeAgentActor : ReceiveActor, IWithTimers
{
    public const string Name = "node";
    private readonly NodeOptions _options;
    private readonly ClusterSettings _settings;
    private readonly ActorSelection _coordinator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<(string Pool, int Worker), Child> _children = [];
    private readonly Dictionary<string, Task<string?>> _prepared = new(StringComparer.Ordinal);
    private readonly LaunchInfo? _appLaunch;
    private readonly Dictionary<string, string>? _appHashes;
    private readonly Address _host;
    private bool _registered;

    public NodeAgentActor(NodeOptions options, ClusterSettings settings, Address host)
    {
        _options = options;
        _settings = settings;
        _host = host;
        _coordinator = Context.ActorSelection($"{host}/user/{CoordinatorActor.Name}");
        if (options.App is { } app)
        {
            _appLaunch = ChildLauncher.ForApp(app);
            _appHashes = AppManifest.Describe(Path.GetDirectoryName(Path.GetFullPath(app))!)
                .ToDictionary(f => f.FileName, f => f.Sha256, StringComparer.Ordinal);
        }

        Receive<Attached>(_ =>
        {
            _registered = true;
            Timers.Cancel("register");
            _options.Registered?.TrySetResult();
        });
        Receive<RegisterTick>(_ => Register());
        Receive<StartWorker>(OnStart);
        Receive<Prepared>(OnPrepared);
        Receive<StopWorkerProcess>(OnStop);
        Receive<ChildExited>(OnChildExited);
        Receive<NodeStatusRequest>(OnStatus);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(NodeOptions options, ClusterSettings settings, Address host) =>
        Akka.Actor.Props.Create(() => new NodeAgentActor(options, settings, host));

    protected override void PreStart()
    {
        Register();
        Timers.StartPeriodicTimer("register", RegisterTick.Instance, TimeSpan.FromSeconds(1));
    }

    protected override void PostStop()
    {
        foreach (var child in _children.Values)
        {
            child.Process.Kill();
        }
    }

    private void Register()
    {
        if (!_registered)
        {
            _coordinator.Tell(new NodeRegister(_options.Processes, _options.Hostname, Environment.ProcessId, _options.App));
        }
    }

    private void OnStart(StartWorker start)
    {
        if (!Equals(Sender.Path.Address, _host))
        {
            _log.Warning("Refused a worker start request from {0}: only the host's coordinator may ask.", Sender.Path.Address);
            return;
        }

        var pool = ((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(start.PoolPath);
        if (_appHashes is not null)
        {
            var error = CheckAppBuild(start.App);
            Self.Tell(new Prepared(start, pool, _appLaunch!, null, error, Fatal: true));
            return;
        }

        var key = string.Join(",", start.App.Select(f => f.Sha256));
        if (!_prepared.TryGetValue(key, out var task) || task.IsFaulted || task.IsCanceled)
        {
            task = PrepareAsync(start.App, start.AppServerPath);
            _prepared[key] = task;
        }

        task.ContinueWith(
            t => t.IsCompletedSuccessfully
                ? new Prepared(start, pool, ChildLauncher.Launch, t.Result, null, Fatal: false)
                : new Prepared(
                    start,
                    pool,
                    ChildLauncher.Launch,
                    null,
                    t.Exception?.GetBaseException() is BuildMismatchException mismatch
                        ? mismatch.Message
                        : $"the worker node could not get the app's files: {t.Exception?.GetBaseException().Message}",
                    Fatal: t.Exception?.GetBaseException() is BuildMismatchException),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).PipeTo(Self);
    }

    private void OnPrepared(Prepared prepared)
    {
        var start = prepared.Start;
        if (prepared.Error is { } error)
        {
            _log.Warning("Refused to start a worker for {0}: {1}", start.PoolPath, error);
            prepared.Pool.Tell(new WorkerProcessExited(start.WorkerId, start.Token, -1, error, prepared.Fatal));
            _coordinator.Tell(new NodeLoad(_children.Count, start.PoolPath, start.WorkerId));
            return;
        }

        var arguments = new List<string> { "--pool", start.PoolPath, "--id", start.WorkerId.ToString(CultureInfo.InvariantCulture) };
        if (prepared.ListFile is { } list)
        {
            arguments.AddRange(["--app-files", list]);
        }

        ChildProcess process;
        try
        {
            process = ChildLauncher.Start(
                prepared.Launch, ChildRoles.PoolWorker, arguments, start.Token, null, null, _options.ChildOverrides);
        }
        catch (Exception ex)
        {
            _log.Warning("Could not start a worker process for {0}: {1}", start.PoolPath, ex.Message);
            prepared.Pool.Tell(new WorkerProcessExited(start.WorkerId, start.Token, -1, $"the worker node could not start a process: {ex.Message}", Fatal: false));
            _coordinator.Tell(new NodeLoad(_children.Count, start.PoolPath, start.WorkerId));
            return;
        }

        var key = (start.PoolPath, start.WorkerId);
        _children[key] = new Child(process, start, prepared.Pool);
        var self = Self;
        process.Exited.ContinueWith(
            t => self.Tell(new ChildExited(key.PoolPath, key.WorkerId, t.Result)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        prepared.Pool.Tell(new WorkerLaunched(start.WorkerId, start.Token, process.Pid, Runtime.MultiprocessingRuntime.Address.ToString()));
        _coordinator.Tell(new NodeLoad(_children.Count));
    }

    private void OnStop(StopWorkerProcess stop)
    {
        if (_children.TryGetValue((stop.PoolPath, stop.WorkerId), out var child) && Equals(child.Pool.Path.Address, Sender.Path.Address))
        {
            if (stop.Kill)
            {
                child.Process.Kill();
            }
            else
            {
                child.Process.CloseLifeline();
            }
        }
    }

    private void OnChildExited(ChildExited exited)
    {
        if (_children.Remove((exited.PoolPath, exited.WorkerId), out var child))
        {
            child.Pool.Tell(new WorkerProcessExited(child.Start.WorkerId, child.Start.Token, exited.ExitCode, null, Fatal: false));
            child.Process.Dispose();
            _coordinator.Tell(new NodeLoad(_children.Count, exited.PoolPath, exited.WorkerId));
        }
    }

    private void OnStatus(NodeStatusRequest request)
    {
        var processes = _children.Values
            .Select(c => new WorkerProcessStatus(c.Process.Pid, c.Start.PoolPath, c.Start.WorkerId, RssOf(c.Process.Pid)))
            .ToList();
        Sender.Tell(new NodeStatusReport(
            request.CallId,
            new NodeStatus(Runtime.MultiprocessingRuntime.Address.ToString(), _options.Hostname, Environment.ProcessId, _options.Processes, _options.App, processes)));
    }

    /// <summary>With <c>--app</c>: refuses a client whose build of a file differs from the node's.</summary>
    private string? CheckAppBuild(IReadOnlyList<AppFile> client)
    {
        var appDir = Path.GetDirectoryName(Path.GetFullPath(_options.App!))!;
        foreach (var file in client)
        {
            if (_appHashes!.TryGetValue(file.FileName, out var mine) && mine != file.Sha256)
            {
                return Mismatch(file, Path.Combine(appDir, file.FileName), mine);
            }
        }

        return null;
    }

    private static string Mismatch(AppFile client, string local, string localHash) =>
        $"worker node {Environment.MachineName} (pid {Environment.ProcessId}) has a different build of {client.SimpleName} " +
        $"({client.FileName}): node {AppManifest.VersionOf(local)} sha256 {AppManifest.Short(localHash)}, " +
        $"client {client.Version} sha256 {AppManifest.Short(client.Sha256)}. Run the same build on both sides.";

    /// <summary>
    /// Without <c>--app</c>: the worker process runs with this node's own files plus the client's other files, fetched
    /// once into the cache and verified. Returns the list file the worker process resolves them from.
    /// </summary>
    private Task<string?> PrepareAsync(IReadOnlyList<AppFile> app, string appServerPath)
    {
        var settings = _settings;
        var system = Context.System;
        return Task.Run<string?>(async () =>
        {
            var own = AppContext.BaseDirectory;
            var server = await system.ActorSelection(appServerPath).ResolveOne(settings.FetchTimeout).ConfigureAwait(false);
            var entries = new List<(string, string)>();
            foreach (var file in app)
            {
                var local = Path.Combine(own, file.FileName);
                if (File.Exists(local))
                {
                    var hash = AppManifest.HashOf(local);
                    if (hash != file.Sha256)
                    {
                        throw new BuildMismatchException(Mismatch(file, local, hash));
                    }

                    continue;
                }

                var cached = Path.Combine(settings.AppCache, file.Sha256, file.FileName);
                if (!File.Exists(cached))
                {
                    await FetchAsync(server, file, cached, settings.FetchTimeout).ConfigureAwait(false);
                }

                entries.Add((file.SimpleName, cached));
            }

            var lists = Path.Combine(settings.AppCache, "lists");
            Directory.CreateDirectory(lists);
            // One list per app build: the same build started again reuses it.
            var build = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
                System.Text.Encoding.UTF8.GetBytes(string.Join(",", app.Select(f => f.Sha256)))));
            var listFile = Path.Combine(lists, $"{build}.txt");
            var temp = $"{listFile}.{Guid.NewGuid():N}.tmp";
            AppAssemblies.WriteList(temp, entries);
            File.Move(temp, listFile, overwrite: true);
            return listFile;
        });
    }

    private static async Task FetchAsync(IActorRef server, AppFile file, string target, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var reply = await Caller.SendAsync(server, id => new FetchAppFile(id, file.Sha256), "fetching an app file", cts.Token)
            .ConfigureAwait(false);
        var bytes = ((Data)Caller.Check(reply, $"the client's app server ({file.FileName})")).Value;
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        if (hash != file.Sha256)
        {
            throw new InvalidOperationException(
                $"The client sent {file.FileName} with sha256 {AppManifest.Short(hash)}, not the announced {AppManifest.Short(file.Sha256)}; refused.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes).ConfigureAwait(false);
        File.Move(temp, target, overwrite: true);
    }

    /// <summary>Resident memory of a process in bytes (0 when it cannot be read).</summary>
    public static long RssOf(int pid)
    {
        try
        {
            var statm = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
            return long.Parse(statm[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                return process.WorkingSet64;
            }
            catch (Exception)
            {
                return 0;
            }
        }
    }

    private sealed record Child(ChildProcess Process, StartWorker Start, IActorRef Pool);

    private sealed record Prepared(StartWorker Start, IActorRef Pool, LaunchInfo Launch, string? ListFile, string? Error, bool Fatal);

    private sealed class BuildMismatchException(string message) : Exception(message);

    private sealed record ChildExited(string PoolPath, int WorkerId, int ExitCode);

    private sealed record RegisterTick
    {
        public static RegisterTick Instance { get; } = new();
    }
}
