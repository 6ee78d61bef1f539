using Akka.Actor;
using Multiprocessing.Internal.Pipes;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// Python's <c>multiprocessing.Pipe</c>: a pair of connected <see cref="Connection"/> objects. Each end's inbox is an
/// actor in the process that created the pipe; the connections travel to <see cref="Process"/> children and
/// <see cref="Pool"/> tasks as arguments.
/// </summary>
public static class Pipe
{
    /// <summary>Creates a pipe and returns its two ends.</summary>
    /// <param name="duplex">
    /// True (the default): both ends send and receive. False: the first connection only receives and the second
    /// only sends, as in Python.
    /// </param>
    /// <returns>The two connected ends.</returns>
    public static (Connection, Connection) Create(bool duplex = true)
    {
        var first = SharedObjects.Create(PipeEndActor.Props(canSend: duplex, canReceive: true), "pipe");
        var second = SharedObjects.Create(PipeEndActor.Props(canSend: true, canReceive: duplex), "pipe");
        first.Tell(new PipeEndActor.Pair(second), ActorRefs.NoSender);
        second.Tell(new PipeEndActor.Pair(first), ActorRefs.NoSender);
        return (new Connection(first), new Connection(second));
    }
}
