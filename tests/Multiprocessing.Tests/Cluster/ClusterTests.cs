using System.Diagnostics;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using Multiprocessing.Examples;
using Multiprocessing.Internal.Cluster;
using Multiprocessing.Tests.TestSupport;

namespace Multiprocessing.Tests.Cluster;

/// <summary>Task functions run on cluster worker processes.</summary>
public static class ClusterTasks
{
    /// <summary>x², the worker's pid and its node's pid (the worker's parent).</summary>
    public static (int Square, int Worker, int Node) Square(int x) =>
        (x * x, Environment.ProcessId, Process.Parent?.Pid ?? 0);

    /// <summary>Records <paramref name="x"/> in a dict of the host's manager service, from a worker on a node.</summary>
    public static int Record(DictProxy<int, int> squares, int x)
    {
        squares[x] = x * x;
        return Process.Parent?.Pid ?? 0;
    }

    /// <summary>Like <see cref="Square"/>, slowly, so a node can be stopped while work is in flight.</summary>
    public static (int Square, int Worker, int Node) SlowSquare(int x)
    {
        Thread.Sleep(100);
        return Square(x);
    }
}

/// <summary>
/// Real <c>mp host</c> and <c>mp worker</c> processes on loopback, joined with Akka.Cluster, and this test process as a
/// client (<c>Pool.Connect</c>). The worker nodes run from mp's folder, which does not contain this test assembly:
/// they fetch it from this process.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ClusterTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_map_runs_on_two_worker_nodes_that_do_not_have_the_app()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
        var node1 = cluster.AddNode(1);
        var node2 = cluster.AddNode(1);
        var mpFolder = Path.GetDirectoryName(ClusterNodeProcess.FindMp())!;
        Assert.False(File.Exists(Path.Combine(mpFolder, "Multiprocessing.Tests.dll")), "the worker nodes' folder must not hold the app");

        using var pool = Pool.Connect(address, Encoding.UTF8.GetBytes(key));
        Assert.Equal(2, pool.Processes);
        Assert.Equal(address, pool.Host);
        Assert.True(pool.WaitReady(Bound));
        var results = await pool.MapAsync(ClusterTasks.Square, Enumerable.Range(0, 60), chunksize: 1).GetAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 60).Select(x => x * x), results.Select(r => r.Square));
        Assert.Equal(new[] { node1.Pid, node2.Pid }.Order(), results.Select(r => r.Node).Distinct().Order());

        // mp status sees both nodes, their worker processes and this pool.
        var status = await ClusterNodes.StatusAsync(address, Encoding.UTF8.GetBytes(key), CancellationToken.None);
        Assert.Equal(3, status.Members.Count);
        Assert.Equal(2, status.Nodes.Count);
        Assert.Equal(2, status.Nodes.Sum(n => n.Processes.Count));
        Assert.All(status.Nodes.SelectMany(n => n.Processes), p => Assert.True(p.RssBytes > 0));
        Assert.All(status.Nodes, n => Assert.StartsWith("akka.tcp://mp@127.0.0.1:", n.Address, StringComparison.Ordinal));
        var stats = Assert.Single(status.Pools);
        Assert.Equal(60, stats.Workers.Sum(w => w.TasksDone));

        pool.Close();
        Assert.True(await pool.JoinAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, node1.Stop());
        Assert.Equal(0, node2.Stop());
        Assert.Equal(0, host.Stop());
    }

    [Fact]
    public void The_hosts_manager_service_is_shared_by_the_client_and_the_workers_on_nodes_M09_M26()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
        var node = cluster.AddNode(2);

        using var manager = Manager.Connect(address, Encoding.UTF8.GetBytes(key));
        Assert.Equal(host.Pid, manager.Pid);
        var squares = manager.Dict<int, int>();
        using (var pool = Pool.Connect(address, Encoding.UTF8.GetBytes(key)))
        {
            var nodes = pool.StarMap(ClusterTasks.Record, Enumerable.Range(0, 20).Select(x => (squares, x)), chunksize: 2);
            Assert.All(nodes, n => Assert.Equal(node.Pid, n));
        }

        Assert.Equal(Enumerable.Range(0, 20).ToDictionary(x => x, x => x * x), squares.Items().ToDictionary(p => p.Key, p => p.Value));

        // Disposing a connected manager detaches; the host's service keeps running.
        manager.Dispose();
        using var again = Manager.Connect(address, Encoding.UTF8.GetBytes(key));
        Assert.Equal(7, again.Value(7).Value);
    }

    [Fact]
    public async Task Mp_status_prints_the_cluster_as_json()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
        var node = cluster.AddNode(2);
        using var status = ClusterNodeProcess.Start(["status", "--host", address, "--json"], key, "{");
        var json = status.WaitReady(Bound);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(2, document.RootElement.GetProperty("members").GetArrayLength());
        var nodeStatus = Assert.Single(document.RootElement.GetProperty("nodes").EnumerateArray());
        Assert.Equal(2, nodeStatus.GetProperty("capacity").GetInt32());
        Assert.Equal(node.Pid, nodeStatus.GetProperty("pid").GetInt32());
        await Task.CompletedTask;
    }

    [Fact]
    public void A_wrong_authkey_is_refused_for_clients_and_nodes_M10()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);

        var error = Assert.Throws<AuthenticationException>(() => Pool.Connect(address, Encoding.UTF8.GetBytes(NewKey())));
        Assert.Contains("authkey", error.Message);

        using var intruder = ClusterNodeProcess.Start(["worker", "--join", address, "--processes", "1"], NewKey(), "mp worker ready");
        Assert.Throws<AggregateException>(() => intruder.WaitReady(Bound));
        Assert.True(WaitFor(() => intruder.HasExited, Bound));
        Assert.Contains(intruder.Lines, l => l.Contains("refused this node", StringComparison.Ordinal));
        Assert.True(WaitFor(() => host.Lines.Any(l => l.Contains("wrong authkey", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)));

        // The host keeps serving the right key.
        var node = cluster.AddNode(1);
        using var pool = Pool.Connect(address, Encoding.UTF8.GetBytes(key));
        Assert.Equal(49, pool.Apply(ClusterTasks.Square, 7).Square);
    }

    [Fact]
    public async Task A_sigkilled_worker_node_does_not_hang_the_map_P74()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
        var doomed = cluster.AddNode(1);
        var survivor = cluster.AddNode(1);
        using var pool = cluster.Connect();

        var seen = new TaskCompletionSource();
        var iterator = pool.Imap(ClusterTasks.SlowSquare, Enumerable.Range(0, 80), chunksize: 1);
        var consume = Task.Run(() =>
        {
            var results = new List<(int Square, int Worker, int Node)>();
            foreach (var result in iterator)
            {
                results.Add(result);
                if (results.Any(r => r.Node == doomed.Pid))
                {
                    seen.TrySetResult();
                }
            }

            return results;
        });
        await seen.Task.WaitAsync(Bound);
        var workerPids = OsProcesses.ChildPids(doomed.Pid);
        doomed.KillHard();

        // Every result arrives (the lost chunks ran again on the survivor), correct and in order; nothing hangs.
        var all = await consume.WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, 80).Select(x => x * x), all.Select(r => r.Square));
        Assert.Contains(all, r => r.Node == survivor.Pid);
        Assert.Empty(await OsProcesses.WaitAllGoneAsync(workerPids, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_sigkilled_host_breaks_the_pool_instead_of_hanging()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
        var node = cluster.AddNode(1);
        using var pool = cluster.Connect();

        var result = pool.MapAsync(ClusterTasks.SlowSquare, Enumerable.Range(0, 400), chunksize: 1);
        await Task.Delay(500);
        var watch = Stopwatch.StartNew();
        host.KillHard();

        // The node downs itself without its host and its worker processes exit; the pool fails its work, bounded.
        var error = await Assert.ThrowsAnyAsync<MultiprocessingException>(() => result.GetAsync(Bound));
        Assert.True(error is BrokenPoolException or WorkerLostException, error.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        Assert.True(WaitFor(() => node.HasExited, TimeSpan.FromSeconds(30)), "the worker node stops without its host");
    }

    [Fact]
    public async Task A_worker_node_leaving_gracefully_hands_its_work_to_the_others()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
        var leaving = cluster.AddNode(1);
        var staying = cluster.AddNode(1);
        using var pool = cluster.Connect();

        var result = pool.MapAsync(ClusterTasks.SlowSquare, Enumerable.Range(0, 60), chunksize: 1);
        await Task.Delay(1500);
        Assert.Equal(0, leaving.Stop());

        var all = await result.GetAsync(Bound);
        Assert.Equal(Enumerable.Range(0, 60).Select(x => x * x), all.Select(r => r.Square));
        Assert.Contains(all, r => r.Node == staying.Pid);
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("status")]
    public void Mp_worker_and_mp_status_without_a_host_exit_1_within_the_attach_timeout(string command)
    {
        // Nothing listens on this port: the handshake's timeout path (multiprocessing.cluster.attach-timeout, 10 s).
        var address = $"127.0.0.1:{FreePort()}";
        string[] arguments = command == "worker" ? ["worker", "--join", address] : ["status", "--host", address];
        var watch = Stopwatch.StartNew();
        using var node = ClusterNodeProcess.Start(arguments, NewKey(), "never printed");
        Assert.Equal(1, node.WaitForExit(Bound));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(45), $"took {watch.Elapsed}");
        Assert.Contains(node.Lines, l => l.Contains(address, StringComparison.Ordinal));
    }

    [Fact]
    public void A_node_with_a_different_build_of_the_app_is_refused_naming_the_assembly()
    {
        // A copy of this app's folder where one assembly is a different build than the client's.
        var app = typeof(ClusterTasks).Assembly.Location;
        var copy = Directory.CreateTempSubdirectory("mp-app-").FullName;
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(app)!))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            var examples = Path.Combine(copy, "Multiprocessing.Examples.dll");
            File.AppendAllText(examples, "different build");

            using var cluster = new TestCluster();
            var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
            cluster.AddNode(1, "--app", Path.Combine(copy, Path.GetFileName(app)));
            using var pool = Pool.Connect(address, Encoding.UTF8.GetBytes(key));
            var error = Assert.Throws<BrokenPoolException>(() => pool.MapAsync(ClusterTasks.Square, [1, 2, 3]).Get(Bound));
            Assert.Contains("Multiprocessing.Examples", error.Message);
            Assert.Contains("node ", error.Message);
            Assert.Contains("client ", error.Message);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void A_node_with_the_app_runs_it_from_its_own_copy()
    {
        using var cluster = new TestCluster();
        var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);
        var node = cluster.AddNode(2, "--app", typeof(ClusterTasks).Assembly.Location);
        using var pool = cluster.Connect();
        var results = pool.Map(ClusterTasks.Square, Enumerable.Range(0, 20));
        Assert.Equal(Enumerable.Range(0, 20).Select(x => x * x), results.Select(r => r.Square));
        Assert.All(results, r => Assert.Equal(node.Pid, r.Node));
    }

    [Fact]
    public void Connecting_to_no_host_fails_within_the_attach_timeout_M10()
    {
        var port = FreePort();
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<ClusterUnavailableException>(() => Pool.Connect($"127.0.0.1:{port}", Encoding.UTF8.GetBytes(NewKey())));
        Assert.Contains("mp host", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("cluster")]
    [InlineData("cluster --tls")]
    public async Task The_cluster_example_prints_OK(string args)
    {
        using var example = OsProcesses.StartExample(args.Split(' '));
        var stdout = example.StandardOutput.ReadToEndAsync();
        using (var cancel = new CancellationTokenSource(Bound))
        {
            await example.WaitForExitAsync(cancel.Token);
        }

        var output = await stdout;
        Assert.True(example.ExitCode == 0, output + OsProcesses.StderrOf(example));
        Assert.Contains(args.EndsWith("--tls", StringComparison.Ordinal) ? "OK cluster (TLS)" : "OK cluster", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tls_host_speaks_only_tls()
    {
        var folder = Directory.CreateTempSubdirectory("mp-tls-").FullName;
        try
        {
            var file = Path.Combine(folder, "tls.conf");
            await File.WriteAllTextAsync(file, TlsConfig.Create(folder));
            using var cluster = new TestCluster("--config", file);
            var (key, address, host) = (cluster.Key, cluster.Address, cluster.Host);

            // A TLS handshake with the host's port succeeds (with the cluster's certificate as the client's).
            using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(
                Path.Combine(folder, "cluster.pfx"), ReadPassword(file));
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync("127.0.0.1", int.Parse(address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));
            using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [certificate],
            }).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(tls.IsEncrypted);

            // A client without TLS (this test process) cannot attach.
            Assert.Throws<ClusterUnavailableException>(() => Pool.Connect(address, Encoding.UTF8.GetBytes(key)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string ReadPassword(string tlsConf) =>
        File.ReadAllLines(tlsConf).Select(l => l.Trim()).Single(l => l.StartsWith("password", StringComparison.Ordinal))
            .Split('"')[1];

    /// <summary>An mp host on a free port with its own key, the worker nodes added to it, all stopped on dispose.</summary>
    private sealed class TestCluster : IDisposable
    {
        private readonly List<ClusterNodeProcess> _nodes = [];

        public TestCluster(params string[] hostArguments)
        {
            (Host, Address) = ClusterNodeProcess.StartHost(Key, hostArguments);
        }

        public string Key { get; } = NewKey();

        public string Address { get; }

        public ClusterNodeProcess Host { get; }

        public ClusterNodeProcess AddNode(int processes, params string[] arguments)
        {
            var node = ClusterNodeProcess.StartWorker(Address, processes, Key, arguments);
            _nodes.Add(node);
            return node;
        }

        /// <summary>A pool on this cluster whose workers are all up.</summary>
        public Pool Connect()
        {
            var pool = Pool.Connect(Address, Encoding.UTF8.GetBytes(Key));
            Assert.True(pool.WaitReady(Bound));
            return pool;
        }

        public void Dispose()
        {
            foreach (var node in _nodes)
            {
                node.Dispose();
            }

            Host.Dispose();
        }
    }

    private static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static bool WaitFor(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(100);
        }

        return true;
    }


    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
