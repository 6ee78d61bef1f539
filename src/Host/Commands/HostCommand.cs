using System.CommandLine;
using Multiprocessing.Host.Cluster;
using Multiprocessing.Internal.Cluster;

namespace Multiprocessing.Host.Commands;

/// <summary><c>mp host</c>: the coordinator node that worker nodes join and clients attach to.</summary>
public static class HostCommand
{
    public static Command Create()
    {
        var options = new NodeOptions();
        var command = new Command(
            "host",
            "Start a host node: the cluster's seed, the pool coordinator, and the manager and lock service. Runs until Ctrl+C.");
        options.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, options, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, NodeOptions options, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var (exitCode, config, key) = await options.PrepareAsync(parse, "host");
        if (exitCode is { } code)
        {
            return code;
        }

        var generated = key is null;
        key ??= AuthKeys.Generate();
        RunningNode node;
        try
        {
            node = ClusterNodes.StartHost(config, AuthKeys.Bytes(key));
        }
        catch (Exception ex)
        {
            await error.WriteLineAsync($"mp host: could not start: {ex.GetBaseException().Message}");
            return 1;
        }

        var at = $"{node.Address.Host}:{node.Address.Port}";
        var keyHint = generated ? $"{AuthKeys.EnvironmentVariable}={key} " : string.Empty;
        if (generated)
        {
            await output.WriteLineAsync($"No authkey given: generated one for this host. {AuthKeys.EnvironmentVariable}={key}");
        }

        await output.WriteLineAsync($"Join it:     {keyHint}mp worker --join {at} --processes {Environment.ProcessorCount}");
        await output.WriteLineAsync($"Attach to it: Pool.Connect(\"{at}\", authkey) or Manager.Connect(\"{at}\", authkey)");
        await output.WriteLineAsync($"Status:      {keyHint}mp status --host {at}");
        await output.WriteLineAsync($"mp host ready at {at} (pid {Environment.ProcessId})");
        return await NodeOptions.RunUntilStoppedAsync(node.System, error, cancellationToken);
    }
}
