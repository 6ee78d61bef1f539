using System.Reflection;
using System.Runtime.Loader;

namespace Multiprocessing.Internal.Cluster;

/// <summary>
/// In a worker process started by a worker node for a client whose app the node does not have: resolves the app's
/// assemblies from the files the node fetched and verified (SHA-256) for that app build. Each such process serves one
/// client pool and exits with it, so an app build's assemblies are unloaded with their process.
/// </summary>
internal static class AppAssemblies
{
    /// <summary>Reads <paramref name="listFile"/> (lines of <c>simple-name TAB path</c>) and resolves those names from it.</summary>
    public static void Install(string listFile)
    {
        var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in File.ReadAllLines(listFile))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0)
            {
                files[line[..tab]] = line[(tab + 1)..];
            }
        }

        AssemblyLoadContext.Default.Resolving += (context, name) =>
            name.Name is { } simple && files.TryGetValue(simple, out var path) ? context.LoadFromAssemblyPath(path) : null;
    }

    /// <summary>Writes the list file <see cref="Install"/> reads.</summary>
    public static void WriteList(string listFile, IEnumerable<(string SimpleName, string Path)> files) =>
        File.WriteAllLines(listFile, files.Select(f => $"{f.SimpleName}\t{f.Path}"));

    /// <summary>The simple name of an assembly file, or null when it is not a managed assembly.</summary>
    public static string? SimpleName(string path)
    {
        try
        {
            return AssemblyName.GetAssemblyName(path).Name;
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }
}
