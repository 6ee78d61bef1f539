using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Tests.Actors.PoolTestSupport;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Bad input on the wire: every TCP port the library listens on (this driver's actor system, pool workers, the manager
/// process, a Process child) gets random bytes, truncated frames, frames that fail to decode and length prefixes
/// claiming up to 2 GB, from raw sockets on 127.0.0.1. No process may die and nothing may be corrupted: the pool still
/// maps on the same workers, the manager still serves the same dict, the child still finishes normally.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class WireGarbageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SocketTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Garbage_sent_to_every_listening_port_kills_no_process_and_corrupts_no_state()
    {
        using var pool = new Pool(2);
        var workers = WarmUp(pool);
        using var manager = Manager.Start();
        var dict = manager.Dict<string, int>();
        dict["before"] = 1;
        var release = new Event();
        var child = new Process(WireTargets.WaitThenFinish, [release, dict], name: "garbage-child");
        child.Start();
        var childPid = child.Pid ?? throw new InvalidOperationException("the started child has no pid");

        var targets = new List<(string Name, int Pid, int Port)> { ("driver", Environment.ProcessId, MultiprocessingRuntime.Address.Port ?? 0) };
        targets.AddRange(workers.Select(pid => ("pool worker", pid, ListeningPort(pid))));
        targets.Add(("manager", manager.Pid, ListeningPort(manager.Pid)));
        targets.Add(("process child", childPid, ListeningPort(childPid)));
        Assert.All(targets, t => Assert.True(t.Port > 0, $"{t.Name} {t.Pid} has no listening port"));

        // One connection per port stays open, stuck in the middle of a frame, while the checks below run.
        var stuck = new List<TcpClient>();
        try
        {
            foreach (var (name, pid, port) in targets)
            {
                output.WriteLine($"{name} pid {pid} port {port}");
                foreach (var (kind, payload) in Garbage())
                {
                    await SendAsync(port, payload, kind);
                }

                stuck.Add(await OpenStuckAsync(port));
            }

            // Every process is alive and serves as before.
            Assert.All(targets, t => Assert.True(OsProcesses.IsAlive(t.Pid), $"{t.Name} {t.Pid} died after the garbage"));
            Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x), Bounded(() => pool.Map(TaskFunctions.Square, Enumerable.Range(0, 200))));
            var pids = Bounded(() => pool.Map(TaskFunctions.SleepThenPid, [100, 100, 100, 100], chunksize: 1));
            Assert.Subset(workers.ToHashSet(), pids.ToHashSet());
            Assert.Equal(1, Bounded(() => dict["before"]));
            Bounded(() => dict["after"] = 2);
            Assert.Equal(2, Bounded(() => dict["after"]));

            release.Set();
            await child.JoinAsync(TestTimeout).WaitAsync(TestTimeout + TestTimeout);
            Assert.Equal(0, child.ExitCode);
            Assert.Equal(3, Bounded(() => dict["child"]));
            Assert.All(targets.Where(t => t.Pid != childPid), t => Assert.True(OsProcesses.IsAlive(t.Pid), $"{t.Name} {t.Pid} died"));
        }
        finally
        {
            stuck.ForEach(s => s.Dispose());
        }
    }

    /// <summary>The inputs: each kind of bad data a stray client or a broken peer might send.</summary>
    private static IEnumerable<(string Kind, byte[] Payload)> Garbage()
    {
        var random = new Random(4711);
        var noise = new byte[64 * 1024];
        random.NextBytes(noise);
        yield return ("64 KiB of random bytes", noise);

        // A length prefix of 1000 followed by 10 bytes, then the connection closes: a truncated frame.
        yield return ("truncated frame", Frame(1000, 10, random));

        // A whole frame whose body is not a protocol message.
        yield return ("undecodable frame", Frame(1000, 1000, random));

        // Length prefixes claiming about 2 GB, and a negative one.
        yield return ("2 GB length prefix", Frame(int.MaxValue - 16, 4096, random));
        yield return ("negative length prefix", Frame(-5, 64, random));

        // A frame above maximum-frame-size (32 MiB) that is actually sent in full.
        yield return ("40 MB frame", Frame(40_000_000, 40_000_000, random));

        // Garbage after a valid-looking first frame.
        yield return ("zero-length frames then noise", [.. Frame(0, 0, random), .. Frame(0, 0, random), .. noise[..512]]);
    }

    private static byte[] Frame(int declaredLength, int bodyLength, Random random)
    {
        var bytes = new byte[4 + bodyLength];
        BinaryPrimitives.WriteInt32BigEndian(bytes, declaredLength);
        random.NextBytes(bytes.AsSpan(4));
        return bytes;
    }

    /// <summary>Connects, sends, and closes. The peer may close first (that is the right answer to garbage).</summary>
    private async Task SendAsync(int port, byte[] payload, string kind)
    {
        using var cancel = new CancellationTokenSource(SocketTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
        var stream = client.GetStream();
        var closedByPeer = false;
        try
        {
            await stream.WriteAsync(payload, cancel.Token);
            await stream.FlushAsync(cancel.Token);
            client.Client.Shutdown(SocketShutdown.Send);

            // Wait (bounded) for the peer to close or stay silent; an answer to garbage would be odd but is no failure.
            var buffer = new byte[4096];
            using var read = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            closedByPeer = await stream.ReadAsync(buffer, read.Token) == 0;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            closedByPeer = ex is not OperationCanceledException;
        }

        output.WriteLine($"  {kind}: {(closedByPeer ? "closed by the peer" : "no answer")}");
    }

    /// <summary>A connection that declared a 1 MB frame and sent only part of it.</summary>
    private static async Task<TcpClient> OpenStuckAsync(int port)
    {
        using var cancel = new CancellationTokenSource(SocketTimeout);
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
        await client.GetStream().WriteAsync(Frame(1_000_000, 1000, new Random(1)), cancel.Token);
        return client;
    }

    /// <summary>The TCP port process <paramref name="pid"/> listens on, read from /proc (the library opens just one).</summary>
    private static int ListeningPort(int pid)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var inodes = new HashSet<string>();
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }

            // Akka binds a dual-mode socket, so the listener usually shows in tcp6 (as ::ffff:127.0.0.1).
            foreach (var line in File.ReadLines($"/proc/{pid}/net/tcp").Skip(1).Concat(File.ReadLines($"/proc/{pid}/net/tcp6").Skip(1)))
            {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields[3] == "0A" && inodes.Contains(fields[9]))
                {
                    return int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
            }

            Thread.Sleep(50);
        }

        return 0;
    }
}

/// <summary>Targets of the Process children in <see cref="WireGarbageTests"/>.</summary>
public static class WireTargets
{
    public static void WaitThenFinish(Event release, DictProxy<string, int> dict)
    {
        if (!release.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("the test never released this child");
        }

        dict["child"] = 3;
    }
}
