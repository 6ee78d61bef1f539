using System.CommandLine;
using System.Globalization;
using System.Security.Authentication;
using System.Text.Json;
using Multiprocessing.Host.Cluster;
using Multiprocessing.Internal.Cluster;
using Spectre.Console;
using Spectre.Console.Rendering;
using static Multiprocessing.Internal.Cluster.ClusterProtocol;

namespace Multiprocessing.Host.Commands;

/// <summary><c>mp status</c>: the cluster's members, worker processes and pools, once, live, or as JSON.</summary>
public static class StatusCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "The host's host:port.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the status as one JSON object (for scripts)." };
        var watch = new Option<bool>("--watch") { Description = "Keep a live view, refreshed every --interval, until Ctrl+C." };
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between refreshes with --watch.",
            DefaultValueFactory = _ => 1.0,
        };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0.1 or > 3600)
            {
                r.AddError("--interval must be between 0.1 and 3600 seconds.");
            }
        });
        var keyFile = new Option<string?>("--authkey-file")
        {
            Description = $"A file holding the cluster's authkey. Default: the {AuthKeys.EnvironmentVariable} environment variable.",
        };
        var hostname = new Option<string?>("--hostname")
        {
            Description = "Address this process binds, when the host is on another machine (default 127.0.0.1).",
        };
        var command = new Command("status", "Show the cluster: members, worker processes per node (pid, tasks done, busy/idle, RSS), queued and in-flight tasks.");
        command.Options.Add(host);
        command.Options.Add(json);
        command.Options.Add(watch);
        command.Options.Add(interval);
        command.Options.Add(keyFile);
        command.Options.Add(hostname);
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse,
            parse.GetValue(host)!,
            parse.GetValue(json),
            parse.GetValue(watch),
            TimeSpan.FromSeconds(parse.GetValue(interval)),
            parse.GetValue(keyFile),
            parse.GetValue(hostname),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parse,
        string host,
        bool json,
        bool watch,
        TimeSpan interval,
        string? keyFile,
        string? hostname,
        CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        string? key;
        try
        {
            key = AuthKeys.Find(keyFile);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"mp status: {ex.Message}");
            return 2;
        }

        if (key is null)
        {
            await error.WriteLineAsync($"mp status: the cluster's authkey is needed: set {AuthKeys.EnvironmentVariable} or pass --authkey-file.");
            return 2;
        }

        if (hostname is not null)
        {
            RuntimeConfig.Apply($"akka.remote.dot-netty.tcp.hostname = \"{hostname}\"");
        }

        try
        {
            var status = await ClusterNodes.StatusAsync(host, AuthKeys.Bytes(key), cancellationToken);
            if (json)
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(status, Json));
                return 0;
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            if (!watch)
            {
                console.Write(Render(status));
                return 0;
            }

            await console.Live(Render(status)).StartAsync(async live =>
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(interval, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    live.UpdateTarget(Render(await ClusterNodes.StatusAsync(host, AuthKeys.Bytes(key), cancellationToken)));
                }
            });
            return 0;
        }
        catch (AuthenticationException ex)
        {
            await error.WriteLineAsync($"mp status: the host at {host} refused the authkey: {ex.Message}");
            return 1;
        }
        catch (ClusterUnavailableException ex)
        {
            await error.WriteLineAsync($"mp status: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    /// <summary>The status as three tables: members, worker processes, pools.</summary>
    internal static IRenderable Render(ClusterStatus status)
    {
        var members = new Table().Title($"Cluster of {status.Host}").AddColumns("member", "status", "roles", "reachable");
        foreach (var m in status.Members)
        {
            members.AddRow(m.Address, m.Status, string.Join(",", m.Roles), m.Reachable ? "yes" : "[red]no[/]");
        }

        var done = status.Pools.SelectMany(p => p.Workers.Select(w => (p.PoolPath, w)))
            .ToDictionary(x => (x.PoolPath, x.w.WorkerId), x => x.w);
        var processes = new Table().Title("Worker processes").AddColumns("node", "pid", "pool", "worker", "tasks done", "state", "RSS MB");
        foreach (var node in status.Nodes)
        {
            if (node.Processes.Count == 0)
            {
                processes.AddRow(Markup.Escape(node.Address), "-", "-", "-", "-", $"idle node ({node.Capacity} offered)", "-");
            }

            foreach (var p in node.Processes)
            {
                var stats = done.GetValueOrDefault((p.PoolPath, p.WorkerId));
                processes.AddRow(
                    Markup.Escape(node.Address),
                    p.Pid.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(p.PoolPath),
                    p.WorkerId.ToString(CultureInfo.InvariantCulture),
                    stats?.TasksDone.ToString(CultureInfo.InvariantCulture) ?? "?",
                    stats is null ? "?" : stats.InFlight > 0 ? "busy" : "idle",
                    (p.RssBytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture));
            }
        }

        var pools = new Table().Title("Pools").AddColumns("pool", "queued", "in flight", "workers");
        foreach (var p in status.Pools)
        {
            pools.AddRow(
                Markup.Escape(p.PoolPath),
                p.Queued.ToString(CultureInfo.InvariantCulture),
                p.InFlight.ToString(CultureInfo.InvariantCulture),
                p.Workers.Count.ToString(CultureInfo.InvariantCulture));
        }

        return new Rows(members, processes, pools);
    }
}
