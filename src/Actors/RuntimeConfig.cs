using Multiprocessing.Internal.Runtime;

namespace Multiprocessing;

/// <summary>
/// Configuration of the library's runtime in this process (the actor system behind every pool, queue, lock and
/// manager). Call it before the first use of the library; the processes it starts get the same settings.
/// </summary>
public static class RuntimeConfig
{
    /// <summary>
    /// Adds HOCON configuration on top of the library's defaults, for example TLS for cluster traffic
    /// (<c>akka.remote.dot-netty.tcp.enable-ssl = on</c> with a certificate) or a bind address. Later calls win.
    /// </summary>
    /// <param name="hocon">HOCON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="hocon"/> is null.</exception>
    /// <exception cref="Akka.Configuration.ConfigurationException">The text is not valid HOCON.</exception>
    /// <exception cref="InvalidOperationException">The runtime already started in this process.</exception>
    public static void Apply(string hocon) => MultiprocessingRuntime.Configure(hocon);
}
