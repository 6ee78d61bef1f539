using System.CommandLine;
using Akka.Configuration;
using Multiprocessing.Host.Cluster;

namespace Multiprocessing.Host.Commands;

/// <summary>Options shared by <c>mp host</c> and <c>mp worker</c>, defined once.</summary>
internal sealed class NodeOptions
{
    public Option<string[]> Config { get; } = new("--config")
    {
        Description = "A HOCON file layered above config/<role>.conf (repeatable; later files win).",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Override one configuration key: --set key=value (repeatable; wins over every file).",
    };

    public Option<string?> Hostname { get; } = new("--hostname")
    {
        Description = "Address to bind and advertise (default 127.0.0.1: nothing listens beyond loopback unless you say so).",
    };

    public Option<int?> Port { get; } = new("--port")
    {
        Description = "Port to listen on (host default 25520, worker default 0 = any free port).",
    };

    public Option<string?> AuthKeyFile { get; } = new("--authkey-file")
    {
        Description = $"A file holding the cluster's authkey (at least 16 bytes). Default: the {AuthKeys.EnvironmentVariable} environment variable.",
    };

    public Option<bool> PrintConfig { get; } = new("--print-config")
    {
        Description = "Print the effective configuration (every layer merged) and exit.",
    };

    public NodeOptions()
    {
        Port.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0 or > 65535)
            {
                result.AddError("--port must be between 0 and 65535.");
            }
        });
        Set.Validators.Add(result =>
        {
            foreach (var set in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (set.IndexOf('=', StringComparison.Ordinal) <= 0)
                {
                    result.AddError($"--set '{set}' is not key=value, e.g. --set multiprocessing.cluster.fetch-timeout=30s.");
                }
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Set);
        command.Options.Add(Hostname);
        command.Options.Add(Port);
        command.Options.Add(AuthKeyFile);
        command.Options.Add(PrintConfig);
    }

    public Config Load(ParseResult parse, string role) => ConfigLoader.Load(
        role,
        parse.GetValue(Config) ?? [],
        parse.GetValue(Set) ?? [],
        parse.GetValue(Hostname),
        parse.GetValue(Port));

    /// <summary>
    /// Reads the layered configuration and the authkey of a <paramref name="role"/> node. Returns an exit code when the
    /// command is done already: 2 after a usage error, 0 after <c>--print-config</c>; null to go on and start the node.
    /// </summary>
    public async Task<(int? ExitCode, Config Config, string? Key)> PrepareAsync(ParseResult parse, string role)
    {
        Config config;
        string? key;
        try
        {
            config = Load(parse, role);
            key = AuthKeys.Find(parse.GetValue(AuthKeyFile));
        }
        catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or ConfigurationException)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"mp {role}: {ex.Message}").ConfigureAwait(false);
            return (2, Akka.Configuration.Config.Empty, null);
        }

        if (parse.GetValue(PrintConfig))
        {
            await parse.InvocationConfiguration.Output.WriteLineAsync(Render(config)).ConfigureAwait(false);
            return (0, config, key);
        }

        return (null, config, key);
    }

    /// <summary>The effective configuration as mp would run with it, the library's defaults included.</summary>
    public static string Render(Config config) =>
        config.WithFallback(Internal.Runtime.MultiprocessingRuntime.DefaultConfig().GetConfig("multiprocessing.runtime"))
            .WithFallback(Internal.Runtime.MultiprocessingRuntime.DefaultConfig())
            .ToString(includeFallback: true);

    /// <summary>Runs until Ctrl+C/SIGTERM (then a coordinated shutdown: 0) or until the node stops on its own (1).</summary>
    public static async Task<int> RunUntilStoppedAsync(Akka.Actor.ActorSystem system, TextWriter error, CancellationToken cancellationToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = cancellationToken.Register(() => stopped.TrySetResult());
        if (await Task.WhenAny(stopped.Task, system.WhenTerminated).ConfigureAwait(false) == system.WhenTerminated)
        {
            await error.WriteLineAsync("The node's actor system stopped on its own (removed from the cluster, or the host is gone).").ConfigureAwait(false);
            return 1;
        }

        await Akka.Actor.CoordinatedShutdown.Get(system).Run(Akka.Actor.CoordinatedShutdown.ClrExitReason.Instance).ConfigureAwait(false);
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        return 0;
    }
}
