using Akka.Actor;

namespace Multiprocessing.Internal.Runtime;

/// <summary>
/// Akka's own exit hook (<c>akka.coordinated-shutdown.run-by-clr-shutdown-hook</c>) also takes SIGINT: Ctrl+C would
/// shut the actor system down under the running pools (their results then fail as a broken pool) and keep the
/// process alive. With <c>multiprocessing.runtime.handle-ctrl-c = on</c> the library turns that hook off and installs
/// this one instead: the same coordinated shutdown at process exit (SIGTERM's default action ends the process through
/// it, so a program stopped with SIGTERM exits), and SIGINT is left to <see cref="Interrupts"/> (the driver) or
/// ignored (pool workers).
/// </summary>
internal static class ShutdownHook
{
    private static int _ran;

    /// <summary>Process exit will not run the coordinated shutdown (a child whose work is done and reported).</summary>
    public static void Skip() => Interlocked.Exchange(ref _ran, 1);

    public static void Install(ActorSystem system)
    {
        var coordinated = CoordinatedShutdown.Get(system);
        void Run()
        {
            if (Interlocked.Exchange(ref _ran, 1) == 0 && !system.WhenTerminated.IsCompleted)
            {
                try
                {
                    coordinated.Run(CoordinatedShutdown.ClrExitReason.Instance).Wait(coordinated.TotalTimeout);
                }
                catch (Exception)
                {
                    // The process is ending either way.
                }
            }
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Run();
    }
}
