using System.Security.Cryptography;
using System.Text;

namespace Multiprocessing.Examples;

/// <summary>
/// A cluster on this machine: an <c>mp host</c> and two <c>mp worker</c> nodes (their folders do not hold this app:
/// they fetch it from this program), a <c>Map</c> through <c>Pool.Connect</c>, which node and worker process ran each
/// chunk, then a graceful shutdown. Ends with "OK cluster".
/// </summary>
public static class ClusterExample
{
    /// <summary>
    /// One task: the square of <paramref name="x"/>, with the worker's pid and its node's pid. It takes 10 ms, so every
    /// worker process gets some of the work while the others start.
    /// </summary>
    public static (int Square, int Worker, int Node) Square(int x)
    {
        Thread.Sleep(10);
        return (x * x, Environment.ProcessId, Multiprocessing.Process.Parent?.Pid ?? 0);
    }

    public static int Run(string[] args)
    {
        if (Option(args, "--join") is { } join)
        {
            return RunOn(join, Option(args, "--hostname"));
        }

        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string[] nodeArgs = [];
        string? tlsFolder = null;
        if (args.Contains("--tls"))
        {
            // Every process of the cluster speaks TLS: the nodes through a --config file, this client through
            // RuntimeConfig.Apply (before its first use of the library), worker processes inherit it from their node.
            tlsFolder = Directory.CreateTempSubdirectory("mp-tls-").FullName;
            var tls = TlsConfig.Create(tlsFolder);
            var file = Path.Combine(tlsFolder, "tls.conf");
            File.WriteAllText(file, tls);
            RuntimeConfig.Apply(tls);
            nodeArgs = ["--config", file];
            Console.WriteLine("TLS on: a certificate made for this run");
        }

        try
        {
            return Run(key, nodeArgs, tlsFolder is not null);
        }
        finally
        {
            if (tlsFolder is not null)
            {
                Directory.Delete(tlsFolder, recursive: true);
            }
        }
    }

    /// <summary>
    /// <c>cluster --join host:port [--hostname address]</c>: only the client side, on a cluster started by hand (the
    /// authkey in <c>MP_AUTHKEY</c>). <c>--hostname</c> is this program's own address when the host is on another machine.
    /// </summary>
    private static int RunOn(string host, string? hostname)
    {
        var key = Environment.GetEnvironmentVariable("MP_AUTHKEY")
            ?? throw new InvalidOperationException("Set MP_AUTHKEY to the cluster's authkey (mp host prints it).");
        if (hostname is not null)
        {
            RuntimeConfig.Apply($"akka.remote.dot-netty.tcp.hostname = \"{hostname}\"");
        }

        using var pool = Pool.Connect(host, Encoding.UTF8.GetBytes(key));
        Console.WriteLine($"pool of {pool.Processes} worker processes on the cluster at {host}");
        pool.WaitReady(TimeSpan.FromSeconds(60));
        var results = pool.Map(Square, Enumerable.Range(0, 200), chunksize: 10);
        pool.Close();
        pool.Join();
        var correct = results.Select(r => r.Square).SequenceEqual(Enumerable.Range(0, 200).Select(x => x * x));
        var nodes = results.Select(r => r.Node).Distinct().Order().ToList();
        Console.WriteLine($"results correct: {correct}; node pids: {string.Join(", ", nodes)}");
        Console.WriteLine(correct ? "OK cluster" : "FAILED cluster");
        return correct ? 0 : 1;
    }

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static int Run(string key, string[] nodeArgs, bool tls)
    {
        var (host, address) = ClusterNodeProcess.StartHost(key, nodeArgs);
        using var _ = host;
        Console.WriteLine($"mp host at {address} (pid {host.Pid})");
        using var worker1 = ClusterNodeProcess.StartWorker(address, 2, key, nodeArgs);
        using var worker2 = ClusterNodeProcess.StartWorker(address, 2, key, nodeArgs);
        Console.WriteLine($"mp worker nodes: pid {worker1.Pid}, pid {worker2.Pid}");

        var results = new List<(int Square, int Worker, int Node)>();
        using (var pool = Pool.Connect(address, Encoding.UTF8.GetBytes(key)))
        {
            Console.WriteLine($"pool of {pool.Processes} worker processes on the cluster");
            if (!pool.WaitReady(TimeSpan.FromSeconds(60)))
            {
                Console.WriteLine("FAILED cluster: the worker processes did not start within 60 s");
                return 1;
            }

            results.AddRange(pool.Map(Square, Enumerable.Range(0, 200), chunksize: 10));
            pool.Close();
            pool.Join();
        }

        foreach (var chunk in results.Chunk(10).Select((c, i) => (Index: i, First: c[0])))
        {
            Console.WriteLine($"  chunk {chunk.Index,2}: node pid {chunk.First.Node}, worker pid {chunk.First.Worker}");
        }

        var correct = results.Select(r => r.Square).SequenceEqual(Enumerable.Range(0, 200).Select(x => x * x));
        var nodes = results.Select(r => r.Node).Distinct().Order().ToList();
        var workers = results.Select(r => r.Worker).Distinct().Count();
        Console.WriteLine($"results correct: {correct}; {workers} worker processes on nodes [{string.Join(", ", nodes)}]");

        var codes = new[] { worker1.Stop(), worker2.Stop(), host.Stop() };
        Console.WriteLine($"exit codes after SIGTERM: workers {codes[0]}, {codes[1]}; host {codes[2]}");
        var ok = correct && nodes.SequenceEqual(new[] { worker1.Pid, worker2.Pid }.Order()) && codes.All(c => c == 0);
        if (!ok)
        {
            Console.WriteLine("FAILED cluster");
            return 1;
        }

        Console.WriteLine(tls ? "OK cluster (TLS)" : "OK cluster");
        return 0;
    }
}
