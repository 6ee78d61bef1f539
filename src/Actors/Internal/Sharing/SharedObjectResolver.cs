using Akka.Actor;
using MessagePack;
using MessagePack.Formatters;
using Multiprocessing.Internal.Runtime;

namespace Multiprocessing.Internal.Sharing;

/// <summary>A proxy of a shared object: it travels to other processes as the address of its actor.</summary>
internal interface ISharedObject
{
    IActorRef Actor { get; }

    /// <summary>Called when the proxy is serialized to travel to another process.</summary>
    void OnTravel()
    {
    }
}

/// <summary>Creates a proxy of type <typeparamref name="TSelf"/> for an actor in this process's actor system.</summary>
internal interface ISharedObject<TSelf> : ISharedObject
    where TSelf : ISharedObject<TSelf>
{
    static abstract TSelf Attach(IActorRef actor);
}

/// <summary>Serializes proxies (queues, locks...) as actor paths; they come back to life in the receiving process.</summary>
internal sealed class SharedObjectResolver : IFormatterResolver
{
    public static SharedObjectResolver Instance { get; } = new();

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = Create();

        private static IMessagePackFormatter<T>? Create()
        {
            var type = typeof(T);
            var proxy = type.GetInterfaces().Any(i => i.IsGenericType
                && i.GetGenericTypeDefinition() == typeof(ISharedObject<>)
                && i.GetGenericArguments()[0] == type);
            if (!proxy)
            {
                return null;
            }

            var formatter = typeof(ProxyFormatter<>).MakeGenericType(type);
            return (IMessagePackFormatter<T>)Activator.CreateInstance(formatter)!;
        }
    }

    private sealed class ProxyFormatter<T> : IMessagePackFormatter<T?>
        where T : class, ISharedObject<T>
    {
        public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            value.OnTravel();
            var actor = value.Actor;
            var address = ((ExtendedActorSystem)MultiprocessingRuntime.System).Provider.DefaultAddress;
            writer.Write(actor.Path.ToStringWithAddress(address));
        }

        public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            var path = reader.ReadString()!;
            var actor = ((ExtendedActorSystem)MultiprocessingRuntime.System).Provider.ResolveActorRef(path);
            return T.Attach(actor);
        }
    }
}
