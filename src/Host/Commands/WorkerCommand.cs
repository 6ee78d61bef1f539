using System.CommandLine;
using System.Security.Authentication;
using Multiprocessing.Host.Cluster;
using Multiprocessing.Internal.Cluster;

namespace Multiprocessing.Host.Commands;

/// <summary><c>mp worker</c>: a node that joins a host and offers worker processes to its clients' pools.</summary>
public static class WorkerCommand
{
    public static Command Create()
    {
        var options = new NodeOptions();
        var join = new Option<string>("--join")
        {
            Description = "The host's host:port, as mp host prints it.",
            Required = true,
        };
        join.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            var colon = value?.LastIndexOf(':') ?? -1;
            if (value is null || colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 1 or > 65535)
            {
                result.AddError($"--join '{value}' is not host:port, e.g. --join 127.0.0.1:25520.");
            }
        });
        var processes = new Option<int>("--processes")
        {
            Description = "Worker processes this node offers (default: one per CPU).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        processes.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--processes must be at least 1.");
            }
        });
        var app = new Option<string?>("--app")
        {
            Description = "The user's app (its main .dll in a framework-dependent build output) whose code the worker processes run. " +
                "Without it, the node fetches each client's app files (verified by SHA-256) when a pool starts.",
        };
        app.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } path && !File.Exists(path))
            {
                result.AddError($"--app '{path}' does not exist: pass the path of the app's main .dll.");
            }
        });
        var command = new Command("worker", "Start a worker node that joins a host and offers worker processes to its clients. Runs until Ctrl+C.");
        command.Options.Add(join);
        command.Options.Add(processes);
        command.Options.Add(app);
        options.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse, options, parse.GetValue(join)!, parse.GetValue(processes), parse.GetValue(app), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parse, NodeOptions options, string join, int processes, string? app, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var (exitCode, config, key) = await options.PrepareAsync(parse, "worker");
        if (exitCode is { } code)
        {
            return code;
        }

        if (key is null)
        {
            await error.WriteLineAsync(
                $"mp worker: the cluster's authkey is needed: set {AuthKeys.EnvironmentVariable} or pass --authkey-file (mp host prints it).");
            return 2;
        }

        RunningNode node;
        try
        {
            node = await ClusterNodes.StartWorkerAsync(config, join, AuthKeys.Bytes(key), processes, app, cancellationToken);
        }
        catch (AuthenticationException ex)
        {
            await error.WriteLineAsync($"mp worker: the host at {join} refused this node: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await error.WriteLineAsync($"mp worker: could not join {join}: {ex.GetBaseException().Message}");
            return 1;
        }

        await output.WriteLineAsync(
            $"mp worker ready: joined {join} as {node.Address.Host}:{node.Address.Port} (pid {Environment.ProcessId}), " +
            $"offering {processes} worker processes" + (app is null ? " (apps fetched from clients)" : $" of {Path.GetFileName(app)}"));
        return await NodeOptions.RunUntilStoppedAsync(node.System, error, cancellationToken);
    }
}
