using System.Reflection;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;

using static Multiprocessing.Internal.Cluster.ClusterProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Cluster;

/// <summary>
/// The files of this app that worker nodes may need: every assembly in the app's folder, with its SHA-256. A node that
/// does not have the app fetches the files it lacks from <see cref="AppServerActor"/> and verifies each hash.
/// </summary>
internal static class AppManifest
{
    private static readonly Lazy<IReadOnlyList<AppFile>> Files = new(() => Describe(AppContext.BaseDirectory));

    public static IReadOnlyList<AppFile> Current => Files.Value;

    /// <summary>Describes every managed assembly directly in <paramref name="directory"/>.</summary>
    public static IReadOnlyList<AppFile> Describe(string directory)
    {
        var files = new List<AppFile>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.dll").Order(StringComparer.Ordinal))
        {
            if (AppAssemblies.SimpleName(path) is not { } name)
            {
                continue;
            }

            files.Add(new AppFile(Path.GetFileName(path), name, VersionOf(path), HashOf(path), new FileInfo(path).Length));
        }

        return files;
    }

    public static string HashOf(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The file's informational version (what a user recognises), else its assembly version.</summary>
    public static string VersionOf(string path)
    {
        try
        {
            var info = System.Diagnostics.FileVersionInfo.GetVersionInfo(path);
            if (!string.IsNullOrWhiteSpace(info.ProductVersion))
            {
                return info.ProductVersion;
            }
        }
        catch (FileNotFoundException)
        {
            // Fall through to the assembly version.
        }

        return AssemblyName.GetAssemblyName(path).Version?.ToString() ?? "?";
    }

    /// <summary>A short form of a hash for messages.</summary>
    public static string Short(string sha256) => sha256.Length > 12 ? sha256[..12] : sha256;
}

/// <summary>Serves this app's files (only those of <see cref="AppManifest.Current"/>, by hash) to worker nodes.</summary>
internal sealed class AppServerActor : ReceiveActor
{
    public const string Name = "mp-app-files";

    public AppServerActor(string directory, IReadOnlyList<AppFile> files)
    {
        var log = Context.GetLogger();
        var byHash = files.ToDictionary(f => f.Sha256, StringComparer.Ordinal);
        Receive<FetchAppFile>(fetch =>
        {
            if (!byHash.TryGetValue(fetch.Sha256, out var file))
            {
                log.Warning("Refused a request from {0} for a file that is not part of this app ({1}).", Sender.Path.Address, fetch.Sha256);
                Sender.Tell(new Failed(fetch.CallId, RemoteError.From(new FileNotFoundException("No file of this app has that hash."))));
                return;
            }

            var bytes = File.ReadAllBytes(Path.Combine(directory, file.FileName));
            Sender.Tell(new Data(fetch.CallId, bytes));
        });
        Receive<Cancel>(_ => { });
    }

    public static Props Props(string directory, IReadOnlyList<AppFile> files) =>
        Akka.Actor.Props.Create(() => new AppServerActor(directory, files));
}
