using Akka.Actor;
using MessagePack;
using MessagePack.Formatters;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Serialization;
using static Multiprocessing.Internal.Processes.ProcessProtocol;

namespace Multiprocessing.Internal.Processes;

/// <summary>
/// Work a starting child does on a second thread while its main thread brings the actor system up: the library's
/// configuration, the formatters of the child's first messages (MessagePack builds them at run time) and a target
/// call, so that none of it waits on the critical path when those messages arrive. The work is the same the child
/// would do later; started early, it overlaps with the actor system's start on another core. A spare waits for it
/// to finish before it waits for its role, so the just-in-time compiler has done its work before anyone waits.
/// </summary>
internal static class ChildWarmUp
{
    /// <summary>Starts the warm-up for a child of <paramref name="role"/>; never fails the child.</summary>
    public static Task Start(string role) => Task.Run(() =>
    {
        try
        {
            _ = MultiprocessingRuntime.DefaultConfig();
            var options = ProtocolSerializer.OptionsWith(NoActorRefs.Instance);
            var (spec, args) = WarmUpTarget();
            foreach (var message in FirstMessages(role, spec, args))
            {
                var type = message.GetType();
                MessagePackSerializer.Deserialize(type, MessagePackSerializer.Serialize(type, message, options), options);
            }

            TaskRunner.For(spec).RunChunk(args);
        }
        catch (Exception)
        {
            // Only a warm-up: the real messages report their own errors.
        }
    });

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

    /// <summary>Actor references in warm-up messages are all absent.</summary>
    private sealed class NoActorRefs : IMessagePackFormatter<IActorRef?>
    {
        public static readonly NoActorRefs Instance = new();

        public void Serialize(ref MessagePackWriter writer, IActorRef? value, MessagePackSerializerOptions options) => writer.WriteNil();

        public IActorRef? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            reader.Skip();
            return null;
        }
    }
}
