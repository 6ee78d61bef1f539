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
            var (spec, args) = WarmUpTarget();
            TaskRunner.For(spec).RunChunk(args);
            foreach (var message in FirstMessages(ChildRoles.Spare, spec, args))
            {
                RoundTrip(system, message);
            }
        }
        catch (Exception)
        {
            // Only a warm-up: the real messages report their own errors.
        }
    }

    /// <summary>A call of a small function, as a task or a Process target carries it.</summary>
    public static (FunctionSpec Spec, byte[] Args) WarmUpTarget() => DelegateCall.Describe((Func<int, int>)Increment, [1], "target");

    /// <summary>The messages a child of <paramref name="role"/> exchanges first (a spare: those of every role).</summary>
    public static IEnumerable<object> FirstMessages(string role, FunctionSpec spec, byte[] args)
    {
        if (role is ChildRoles.Process or ChildRoles.Spare)
        {
            yield return new RunTarget(spec, args, "warm-up", false, "warm-up", 0);
            yield return new RegisterChild(0, 0, string.Empty);
            yield return new ChildFinished(0, null);
            yield return new ChildFinishedAck(0);
        }

        if (role is ChildRoles.PoolWorker or ChildRoles.Spare)
        {
            yield return new PoolProtocol.RegisterWorker(0, 0, string.Empty);
            yield return new PoolProtocol.WorkerSetup(null, null, 1);
            yield return new PoolProtocol.WorkerReady(0);
            yield return new PoolProtocol.RunChunks([new PoolProtocol.ChunkTask(0, 0, 0, spec, args)]);
            yield return new PoolProtocol.ChunkResults(0, [new PoolProtocol.ChunkResult(0, 0, args, null, 0)]);
            yield return new PoolProtocol.StopWorker(false);
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
