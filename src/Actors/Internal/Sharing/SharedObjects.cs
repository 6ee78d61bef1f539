using Akka.Actor;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Internal.Sharing;

/// <summary>Helpers shared by the proxies of shared objects.</summary>
internal static class SharedObjects
{
    private static long _count;

    /// <summary>Creates the actor of a new shared object in this process.</summary>
    public static IActorRef Create(Props props, string kind) =>
        MultiprocessingRuntime.System.ActorOf(props, $"{kind}-{Interlocked.Increment(ref _count)}");

    /// <summary>
    /// Python's timeout rules for process-level primitives: <paramref name="block"/> false = do not wait (the
    /// timeout is ignored); null = wait forever (-1); negative = do not wait (0).
    /// </summary>
    public static long TimeoutMs(bool block, TimeSpan? timeout)
    {
        if (!block)
        {
            return 0;
        }

        if (timeout is not { } t || t == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }

        if (t <= TimeSpan.Zero)
        {
            return 0;
        }

        // Beyond what a timer can hold (about 24 days) a wait is as good as forever.
        return t.TotalMilliseconds >= int.MaxValue ? -1 : (long)Math.Ceiling(t.TotalMilliseconds);
    }

    /// <summary>Where an object lives, for error messages.</summary>
    public static string Origin(IActorRef actor) => $"shared object {actor.Path}";
}
