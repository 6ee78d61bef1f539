using System.CommandLine;
using System.Reflection;
using Multiprocessing.Host.Bench;

namespace Multiprocessing.Host.Commands;

/// <summary>The root of the <c>mp</c> command line.</summary>
public static class MpCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "mp: Python's multiprocessing model for .NET on Akka.NET. Pools of worker processes, queues, locks and managers; " +
            "host and worker nodes that join into a cluster.");
        root.Subcommands.Add(VersionCommand());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

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
