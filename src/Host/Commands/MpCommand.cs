using System.CommandLine;
using System.Reflection;
using Multiprocessing.Host.Bench;

namespace Multiprocessing.Host.Commands;

/// <summary>The root of the <c>mp</c> command line.</summary>
public static class MpCommand
{
    /// <summary>Gets the global <c>--verbose</c> option: debug logs from the library, here and in the processes it starts.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Print the library's debug log on stderr (multiprocessing.runtime.log-level = DEBUG), also from worker processes.",
        Recursive = true,
    };

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "mp: Python's multiprocessing model for .NET on Akka.NET. Pools of worker processes, queues, locks and managers; " +
            "host and worker nodes that join into a cluster.");
        root.Options.Add(Verbose);
        root.Subcommands.Add(VersionCommand());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(HostCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ConfigReference.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. Bad options print what was wrong and exit with 2 (usage error), as
    /// POSIX tools do; otherwise the command's own exit code.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var parse = Create().Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,

            // Ctrl+C/SIGTERM cancel the command's token; nodes then leave the cluster (CoordinatedShutdown), which
            // takes about a second. Only after this long is the process ended with 130/143 regardless.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(20),
        };
        if (parse.Errors.Count > 0 && !IsHelp(args))
        {
            foreach (var parseError in parse.Errors)
            {
                await configuration.Error.WriteLineAsync($"mp: {parseError.Message}");
            }

            await configuration.Error.WriteLineAsync("Run 'mp --help' or 'mp <command> --help' for usage.");
            return 2;
        }

        if (LogOverrides(parse) is { } hocon)
        {
            RuntimeConfig.Apply(hocon);
        }

        return await parse.InvokeAsync(configuration);
    }

    /// <summary>The runtime configuration the global options ask for, or null.</summary>
    public static string? LogOverrides(ParseResult parse) =>
        parse.GetValue(Verbose) ? "multiprocessing.runtime.log-level = DEBUG" : null;

    private static bool IsHelp(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    private static Command VersionCommand()
    {
        var command = new Command("version", "Print the version of mp and of the Multiprocessing library.");
        command.SetAction(parseResult =>
        {
            var library = typeof(Pool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            parseResult.InvocationConfiguration.Output.WriteLine($"mp {library ?? "unknown"} (.NET {Environment.Version})");
            return 0;
        });
        return command;
    }
}
