using Akka.Actor;
using Akka.Serialization;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Multiprocessing.Internal.Serialization;

/// <summary>Marker for messages that cross process boundaries; bound to <see cref="ProtocolSerializer"/>.</summary>
internal interface IProtocolMessage;

/// <summary>
/// Akka serializer for the library's protocol messages: MessagePack with one short manifest per type.
/// </summary>
internal sealed class ProtocolSerializer : SerializerWithStringManifest
{
    private readonly MessagePackSerializerOptions _options;

    public ProtocolSerializer(ExtendedActorSystem system)
        : base(system)
    {
        _options = OptionsWith(new ActorRefFormatter(system));
    }

    /// <summary>
    /// The MessagePack options of protocol messages with <paramref name="actorRefs"/> for actor references; the
    /// formatters of the message types themselves are built once per process, whichever options asked first.
    /// </summary>
    public static MessagePackSerializerOptions OptionsWith(IMessagePackFormatter<IActorRef?> actorRefs) =>
        MessagePackSerializerOptions.Standard
            .WithResolver(CompositeResolver.Create([actorRefs], [StandardResolverAllowPrivate.Instance]))
            .WithSecurity(MessagePackSecurity.UntrustedData);

    public override int Identifier => 4711;

    public override byte[] ToBinary(object obj) => MessagePackSerializer.Serialize(obj.GetType(), obj, _options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = ProtocolTypes.FromManifest(manifest);
        return MessagePackSerializer.Deserialize(type, bytes, _options)
            ?? throw new SerializationException($"Message of type {type.Name} decoded to null.");
    }

    public override string Manifest(object o) => ProtocolTypes.ToManifest(o.GetType());

    private sealed class ActorRefFormatter(ExtendedActorSystem system) : IMessagePackFormatter<IActorRef?>
    {
        public void Serialize(ref MessagePackWriter writer, IActorRef? value, MessagePackSerializerOptions options)
        {
            if (value is null || value.IsNobody())
            {
                writer.WriteNil();
                return;
            }

            writer.Write(Akka.Serialization.Serialization.SerializedActorPath(value));
        }

        public IActorRef? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            return system.Provider.ResolveActorRef(reader.ReadString()!);
        }
    }
}

/// <summary>Thrown when a protocol message cannot be decoded.</summary>
internal sealed class SerializationException(string message) : Exception(message);
