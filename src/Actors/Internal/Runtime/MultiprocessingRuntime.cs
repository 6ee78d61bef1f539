using System.Reflection;
using Akka.Actor;
using Akka.Configuration;

namespace Multiprocessing.Internal.Runtime;

/// <summary>
/// Owns the one ActorSystem of this process: created on first use (remote provider, 127.0.0.1, port 0) and shut
/// down when the process exits. Users never see it unless they want to.
/// </summary>
internal static class MultiprocessingRuntime
{
    private static readonly Lazy<Config> Reference = new(LoadReference);
    private static readonly object Gate = new();
    private static ActorSystem? _system;

    /// <summary>The key of the library's log level.</summary>
    public const string LogLevelKey = "multiprocessing.runtime.log-level";
    private static string? _userHocon;

    /// <summary>How long process exit waits for the actor system to stop (<c>multiprocessing.runtime.shutdown-timeout</c>).</summary>
    public static TimeSpan ShutdownTimeout => Config.GetTimeSpan("multiprocessing.runtime.shutdown-timeout");

    /// <summary>The library's embedded reference.conf.</summary>
    public static Config DefaultConfig() => Reference.Value;

    /// <summary>The process's actor system, created on first use.</summary>
    public static ActorSystem System
    {
        get
        {
            var system = Volatile.Read(ref _system);
            if (system is not null)
            {
                return system;
            }

            lock (Gate)
            {
                _system ??= CreateSystem();
                return _system;
            }
        }
    }

    /// <summary>Creates this process's actor system with <paramref name="overrides"/> (before anything else uses it).</summary>
    public static ActorSystem Initialize(Config overrides)
    {
        lock (Gate)
        {
            if (_system is not null)
            {
                throw new InvalidOperationException("The actor system of this process already exists.");
            }

            _system = CreateSystem(overrides);
            return _system;
        }
    }

    /// <summary>
    /// Adds configuration for this process's actor system (before it exists). Later calls win over earlier ones.
    /// Children started by this process get the same configuration, so TLS and bind settings reach them.
    /// </summary>
    public static void Configure(string hocon)
    {
        ArgumentNullException.ThrowIfNull(hocon);
        ConfigurationFactory.ParseString(hocon);
        lock (Gate)
        {
            if (_system is not null)
            {
                throw new InvalidOperationException(
                    "The runtime is already running in this process: apply configuration before the first Pool, Queue, Manager or Process.");
            }

            _userHocon = _userHocon is null ? hocon : _userHocon + Environment.NewLine + hocon;
        }
    }

    /// <summary>The configuration this process hands its children (what <see cref="Configure"/> added).</summary>
    public static string? ChildOverrides => Volatile.Read(ref _userHocon);

    /// <summary>Whether the actor system of this process exists.</summary>
    public static bool IsStarted => Volatile.Read(ref _system) is not null;

    /// <summary>The remoting address of this process's actor system.</summary>
    public static Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    /// <summary>The address of a process of the same kind at <paramref name="host"/>:<paramref name="port"/> (same protocol: TLS or not).</summary>
    public static Address RemoteAddress(string host, int port) => new(Address.Protocol, System.Name, host, port);

    /// <summary>Settings read from the effective configuration.</summary>
    public static Config Config => System.Settings.Config;

    /// <summary>Creates an actor system with the library's runtime configuration.</summary>
    public static ActorSystem CreateSystem(Config? overrides = null)
    {
        var reference = DefaultConfig();
        var config = reference.GetConfig("multiprocessing.runtime").WithFallback(reference);
        if (ChildOverrides is { } user)
        {
            config = ConfigurationFactory.ParseString(user).WithFallback(config);
        }

        if (overrides is not null)
        {
            config = overrides.WithFallback(config);
        }

        config = WithLogLevel(config);

        // Blocking proxy calls park threads; Akka.Remote needs pool threads to keep heartbeats on time, or a busy
        // process would take a live peer for dead. Start with enough pool threads that the pool need not ramp up.
        var minThreads = config.GetInt("multiprocessing.runtime.min-pool-threads", 64);
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < minThreads)
        {
            ThreadPool.SetMinThreads(minThreads, io);
        }

        // Before the actor system's own exit hook: writes sent without waiting (queue puts) are delivered first.
        var shutdownTimeout = config.GetTimeSpan("multiprocessing.runtime.shutdown-timeout");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DrainAtExit(shutdownTimeout);

        // Akka's exit hook would also take SIGINT (Ctrl+C); ours does the rest of its job and leaves SIGINT alone.
        var ownHook = config.GetBoolean("multiprocessing.runtime.handle-ctrl-c")
            && config.GetBoolean("akka.coordinated-shutdown.run-by-clr-shutdown-hook");
        if (ownHook)
        {
            config = ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off").WithFallback(config);
        }

        var name = config.GetString("multiprocessing.runtime.system-name", "mp");
        var system = ActorSystem.Create(name, config);

        ProcessEnd.Install(system, shutdownTimeout);

        // Without this a remote-only node ignores SIGTERM and peers notice its death only after the failure detector.
        if (ownHook)
        {
            ShutdownHook.Install(system);
        }
        else
        {
            CoordinatedShutdown.Get(system);
        }

        return system;
    }

    /// <summary>Sets Akka's log levels from <c>multiprocessing.runtime.log-level</c>.</summary>
    /// <exception cref="ConfigurationException">The level is not one Akka knows.</exception>
    internal static Config WithLogLevel(Config config)
    {
        var raw = config.GetString(LogLevelKey, string.Empty);
        var level = raw.Trim().ToUpperInvariant();
        if (level is not ("OFF" or "ERROR" or "WARNING" or "INFO" or "DEBUG"))
        {
            throw new ConfigurationException(
                $"{LogLevelKey} is '{raw}'; use OFF, ERROR, WARNING, INFO or DEBUG.");
        }

        // Akka's stdout logger only speaks while the library's logger is not running (start-up, shutdown), where its
        // warnings are the connection noise of peers stopping: at WARNING it keeps errors only.
        var stdout = level == "WARNING" ? "ERROR" : level;
        return ConfigurationFactory.ParseString($"akka.loglevel = {level}{Environment.NewLine}akka.stdout-loglevel = {stdout}")
            .WithFallback(config);
    }

    private static void DrainAtExit(TimeSpan limit)
    {
        try
        {
            Task.Run(() => Sharing.Caller.DrainWrites()).Wait(limit);
        }
        catch (Exception)
        {
            // The process is ending; a failed write has no caller left to tell.
        }
    }

    private static Config LoadReference()
    {
        using var stream = typeof(MultiprocessingRuntime).Assembly.GetManifestResourceStream("Multiprocessing.reference.conf")
            ?? throw new InvalidOperationException("The embedded Multiprocessing.reference.conf is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The version of the library, for messages.</summary>
    public static string Version =>
        typeof(MultiprocessingRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
}
