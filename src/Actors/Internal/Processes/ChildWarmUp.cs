using Akka.Actor;
using MessagePack;
using MessagePack.Formatters;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Serialization;

namespace Multiprocessing.Internal.Processes;

/// <summary>
/// Work a starting child does on a second thread while its main thread brings the actor system up: the library's
/// configuration, the formatters of the child's first messages (MessagePack builds them at run time) and a target
/// call, so that none of it waits on the critical path when those messages arrive. The work is the same the child
/// would do later; started early, it overlaps with the actor system's start on another core.
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
            var (spec, args) = SpareWarmUp.WarmUpTarget();
            foreach (var message in SpareWarmUp.FirstMessages(role, spec, args))
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
