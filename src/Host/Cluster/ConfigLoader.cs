using System.Globalization;
using Akka.Configuration;

namespace Multiprocessing.Host.Cluster;

/// <summary>
/// Builds a node's configuration from its layers, highest first: command-line flags and <c>--set</c>, <c>--config</c>
/// files (later ones win), <c>config/host.conf</c> or <c>config/worker.conf</c>, <c>config/common.conf</c>. The library's
/// reference.conf and Akka's defaults sit below (the runtime adds them).
/// </summary>
public static class ConfigLoader
{
    /// <summary>Where <c>config/</c> is: next to mp.dll (never the current directory).</summary>
    public static string ConfigDirectory => Path.Combine(AppContext.BaseDirectory, "config");

    /// <summary>The layered configuration of a <paramref name="role"/> (<c>host</c> or <c>worker</c>) node.</summary>
    /// <exception cref="FileNotFoundException">A <c>--config</c> file or a role file is missing.</exception>
    /// <exception cref="ArgumentException">A <c>--set</c> item is not <c>key=value</c>.</exception>
    public static Config Load(string role, IReadOnlyList<string> configFiles, IReadOnlyList<string> sets, string? hostname, int? port)
    {
        // Layer 1: only the flags the user actually gave.
        var flags = new List<string>();
        if (hostname is not null)
        {
            flags.Add($"akka.remote.dot-netty.tcp.hostname = {Quote(hostname)}");
        }

        if (port is { } p)
        {
            flags.Add($"akka.remote.dot-netty.tcp.port = {p.ToString(CultureInfo.InvariantCulture)}");
        }

        foreach (var set in sets)
        {
            flags.Add(RenderSet(set));
        }

        var config = ConfigurationFactory.ParseString(string.Join(Environment.NewLine, flags));

        // Layer 2: --config files; a later file wins over an earlier one.
        foreach (var file in configFiles.Reverse())
        {
            config = config.WithFallback(ParseFile(file, "--config"));
        }

        // Layers 3 and 4: the role file, then the common file.
        config = config.WithFallback(ParseFile(Path.Combine(ConfigDirectory, $"{role}.conf"), "role"));
        return config.WithFallback(ParseFile(Path.Combine(ConfigDirectory, "common.conf"), "common"));
    }

    /// <summary>Renders <c>key=value</c> as a HOCON line; a value that is not valid HOCON is taken as a string.</summary>
    public static string RenderSet(string set)
    {
        var eq = set.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new ArgumentException($"--set '{set}' is not key=value, e.g. --set multiprocessing.cluster.fetch-timeout=30s.", nameof(set));
        }

        var key = set[..eq].Trim();
        var value = set[(eq + 1)..].Trim();
        var line = $"{key} = {value}";
        try
        {
            var parsed = ConfigurationFactory.ParseString(line);

            // Objects, lists and quoted strings as written; a scalar only if it reads back unchanged (an address with
            // "//" would otherwise lose its tail to a comment).
            if (value.StartsWith('{') || value.StartsWith('[') || value.StartsWith('"') || parsed.GetString(key) == value)
            {
                return line;
            }
        }
        catch (Exception)
        {
            // Not HOCON: taken as a string below.
        }

        return $"{key} = {Quote(value)}";
    }

    private static Config ParseFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The {what} configuration file {path} does not exist.", path);
        }

        return ConfigurationFactory.ParseString(File.ReadAllText(path));
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
