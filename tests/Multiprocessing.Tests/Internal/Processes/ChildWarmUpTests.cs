using Multiprocessing.Internal.Processes;

namespace Multiprocessing.Tests.Internal.Processes;

/// <summary>
/// The early warm-up of a starting child: it swallows its errors (it is only a warm-up), so this checks that every
/// message it prepares really goes through the protocol's MessagePack options.
/// </summary>
public sealed class ChildWarmUpTests
{
    [Theory]
    [InlineData(Multiprocessing.Internal.ChildRoles.PoolWorker)]
    [InlineData(Multiprocessing.Internal.ChildRoles.Process)]
    [InlineData(Multiprocessing.Internal.ChildRoles.Spare)]
    public async Task Every_first_message_of_a_role_round_trips_without_an_actor_system(string role)
    {
        var options = Multiprocessing.Internal.Serialization.ProtocolSerializer.OptionsWith(new NoRefs());
        var (spec, args) = ChildWarmUp.WarmUpTarget();
        var messages = ChildWarmUp.FirstMessages(role, spec, args).ToList();

        Assert.NotEmpty(messages);
        foreach (var message in messages)
        {
            var type = message.GetType();
            var back = MessagePack.MessagePackSerializer.Deserialize(type, MessagePack.MessagePackSerializer.Serialize(type, message, options), options);
            Assert.IsType(type, back);
        }

        await ChildWarmUp.Start(role).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private sealed class NoRefs : MessagePack.Formatters.IMessagePackFormatter<Akka.Actor.IActorRef?>
    {
        public void Serialize(ref MessagePack.MessagePackWriter writer, Akka.Actor.IActorRef? value, MessagePack.MessagePackSerializerOptions options) =>
            writer.WriteNil();

        public Akka.Actor.IActorRef? Deserialize(ref MessagePack.MessagePackReader reader, MessagePack.MessagePackSerializerOptions options)
        {
            reader.Skip();
            return null;
        }
    }
}
