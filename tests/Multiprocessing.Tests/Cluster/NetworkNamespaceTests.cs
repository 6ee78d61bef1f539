using System.Diagnostics;
using System.Security.Cryptography;
using Multiprocessing.Examples;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;

namespace Multiprocessing.Tests.Cluster;

/// <summary>
/// A cluster over real interfaces with distinct addresses: the host (and the client) in one network namespace, two
/// worker nodes in two others, joined by veth pairs on a bridge in a fourth namespace. Nothing is added to this
/// machine's own network namespace. Needs root and <c>ip netns</c>; skipped with the reason where they are missing.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class NetworkNamespaceTests(ITestOutputHelper output) : IDisposable
{
    private const string Prefix = "mpt";
    private static readonly string[] Nodes = ["h", "w1", "w2"];
    private readonly List<string> _namespaces = [];

    [SkippableFact]
    public void A_map_crosses_real_interfaces_between_three_namespaces()
    {
        var reason = CreateNetwork();
        Skip.If(reason is not null, reason);

        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        using var host = ClusterNodeProcess.Start(
            ["host", "--hostname", Ip("h"), "--port", "25520"], key, "mp host ready at ", Ns("h"));
        host.WaitReady(TimeSpan.FromSeconds(60));
        var hostAddress = $"{Ip("h")}:25520";
        using var worker1 = ClusterNodeProcess.Start(
            ["worker", "--join", hostAddress, "--hostname", Ip("w1"), "--processes", "1"], key, "mp worker ready", Ns("w1"));
        using var worker2 = ClusterNodeProcess.Start(
            ["worker", "--join", hostAddress, "--hostname", Ip("w2"), "--processes", "1"], key, "mp worker ready", Ns("w2"));
        worker1.WaitReady(TimeSpan.FromSeconds(60));
        worker2.WaitReady(TimeSpan.FromSeconds(60));

        // The client runs next to the host, in its namespace, and binds that namespace's address.
        var examples = typeof(ClusterExample).Assembly.Location;
        using var client = ClusterNodeProcess.StartProgram(
            ["dotnet", examples, "cluster", "--join", hostAddress, "--hostname", Ip("h")], key, "OK cluster", Ns("h"));
        var ok = client.WaitReady(TimeSpan.FromSeconds(90));
        output.WriteLine(string.Join(Environment.NewLine, client.Lines));
        Assert.Equal("OK cluster", ok);
        var nodes = client.Lines.Single(l => l.StartsWith("results correct: True", StringComparison.Ordinal));
        Assert.Contains(worker1.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), nodes);
        Assert.Contains(worker2.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), nodes);

        // The bytes went over the worker namespaces' veth interfaces.
        Assert.True(ReceivedBytes("w1") > 10_000, "w1's interface carried the traffic");
        Assert.True(ReceivedBytes("w2") > 10_000, "w2's interface carried the traffic");
        Assert.Equal(0, worker1.Stop());
        Assert.Equal(0, worker2.Stop());
        Assert.Equal(0, host.Stop());
    }

    public void Dispose()
    {
        foreach (var ns in _namespaces)
        {
            Run("ip", out _, "netns", "del", ns);
        }
    }

    private static string Ns(string node) => $"{Prefix}-{node}";

    private static string Ip(string node) => $"10.231.0.{Array.IndexOf(Nodes, node) + 1}";

    private long ReceivedBytes(string node)
    {
        Ip(out var text, "netns", "exec", Ns(node), "cat", $"/sys/class/net/{Prefix}-{node}0/statistics/rx_bytes");
        return long.TryParse(text.Trim(), out var bytes) ? bytes : 0;
    }

    /// <summary>Makes the namespaces and links; returns why it cannot, or null.</summary>
    private string? CreateNetwork()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return "network namespaces need Linux and root";
        }

        var hub = Ns("hub");
        foreach (var ns in Nodes.Select(Ns).Append(hub))
        {
            Run("ip", out _, "netns", "del", ns);
            if (!Ip(out var error, "netns", "add", ns))
            {
                return $"ip netns add failed: {error.Trim()}";
            }

            _namespaces.Add(ns);
            Ip(out _, "-n", ns, "link", "set", "lo", "up");
        }

        var steps = new List<string[]>
        {
            new[] { "-n", hub, "link", "add", "br0", "type", "bridge" },
            new[] { "-n", hub, "link", "set", "br0", "up" },
        };
        foreach (var node in Nodes)
        {
            var inside = $"{Prefix}-{node}0";
            var outside = $"{Prefix}-{node}1";
            steps.Add(["link", "add", inside, "netns", Ns(node), "type", "veth", "peer", "name", outside, "netns", hub]);
            steps.Add(["-n", hub, "link", "set", outside, "master", "br0", "up"]);
            steps.Add(["-n", Ns(node), "addr", "add", $"{Ip(node)}/24", "dev", inside]);
            steps.Add(["-n", Ns(node), "link", "set", inside, "up"]);
        }

        foreach (var step in steps)
        {
            if (!Ip(out var error, step))
            {
                return $"ip {string.Join(' ', step)} failed: {error.Trim()}";
            }
        }

        return null;
    }

    private bool Ip(out string text, params string[] args) => Run("ip", out text, args);

    private bool Run(string file, out string text, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = System.Diagnostics.Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill();
                text = "timed out";
                return false;
            }

            text = stdout.Result + stderr.Result;
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            text = ex.Message;
            output.WriteLine($"{file}: {ex.Message}");
            return false;
        }
    }
}
