using Akka.Actor;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Pooling;
using static Multiprocessing.Internal.Processes.ProcessProtocol;

namespace Multiprocessing.Internal.Processes;

/// <summary>
/// What a spare runs once before it waits for its role: the code paths of a child's first messages (their
/// serialization and a target call), so that the just-in-time compiler has done its work before anyone waits.
/// </summary>
internal static class SpareWarmUp
{
    public static void Run(ActorSystem system)
    {
        try
        {
            var (spec, args) = DelegateCall.Describe((Func<int, int>)Increment, [1], "target");
            TaskRunner.For(spec).RunChunk(args);
            RoundTrip(system, new RunTarget(spec, args, "warm-up", false, "warm-up", 0));
            RoundTrip(system, new RegisterChild(0, 0, string.Empty));
            RoundTrip(system, new ChildFinished(0, null));
            RoundTrip(system, new ChildFinishedAck(0));
            RoundTrip(system, new PoolProtocol.RegisterWorker(0, 0, string.Empty));
            RoundTrip(system, new PoolProtocol.WorkerSetup(null, null, 1));
            RoundTrip(system, new PoolProtocol.WorkerReady(0));
            RoundTrip(system, new PoolProtocol.RunChunks([new PoolProtocol.ChunkTask(0, 0, 0, spec, args)]));
            RoundTrip(system, new PoolProtocol.ChunkResults(0, [new PoolProtocol.ChunkResult(0, 0, args, null, 0)]));
            RoundTrip(system, new PoolProtocol.StopWorker(false));
        }
        catch (Exception)
        {
            // Only a warm-up: the real messages report their own errors.
        }
    }

    private static int Increment(int value) => value + 1;

    private static void RoundTrip(ActorSystem system, object message)
    {
        var serializer = system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        system.Serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
    }
}
