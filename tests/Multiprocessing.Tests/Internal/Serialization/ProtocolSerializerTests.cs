using System.Collections;
using System.Reflection;
using Akka.Actor;
using Akka.Configuration;
using MessagePack;
using Multiprocessing.Internal;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Serialization;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Pooling.PoolProtocol;

namespace Multiprocessing.Tests.Internal.Serialization;

/// <summary>
/// The wire format of the library's protocol messages: every registered type goes through Akka's serialization
/// (bound by <see cref="IProtocolMessage"/> in reference.conf) and comes back with the same content. The system runs
/// with the remote provider, as the library's own systems do, so actor references carry an address.
/// </summary>
public sealed class ProtocolSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly FunctionSpec GenericSpec =
        FunctionSpec.Create(new Func<int, int>(Identity), typeof(int), typeof(int), ArgsShape.Single, "func");

    private static readonly RemoteError Error = RemoteError.From(Thrown(new InvalidOperationException("boom: ünïcödé")));

    /// <summary>Hand-written pool messages with every optional field both present and absent.</summary>
    private static readonly Dictionary<string, object> PoolSamples = new()
    {
        ["RegisterWorker"] = new RegisterWorker(3, 4242, "0123456789abcdef0123456789abcdef"),
        ["WorkerSetup with initializer"] = new WorkerSetup(GenericSpec, [0x91, 0x05], 512),
        ["WorkerSetup without initializer"] = new WorkerSetup(null, null, 1),
        ["WorkerReady"] = new WorkerReady(7),
        ["WorkerInitFailed"] = new WorkerInitFailed(2, Error),
        ["WorkerInitFailed without stack"] = new WorkerInitFailed(2, new RemoteError("T", "m", "text", null)),
        ["RunChunks"] = new RunChunks(
        [
            new ChunkTask(long.MaxValue, 0, 1, GenericSpec, [0x93, 0x01, 0x02, 0x03]),
            new ChunkTask(long.MaxValue, 1, 1, null, [0x90]),
            new ChunkTask(5, int.MaxValue, 2, null, []),
            new ChunkTask(6, 3, 2, null, [0x90], SoftTimeoutMicroseconds: 1_500_000, ReportStart: true),
        ]),
        ["WorkerSetup with memory limit"] = new WorkerSetup(null, null, 8, MaxMemoryBytes: long.MaxValue),
        ["ChunkStarted"] = new ChunkStarted(2, long.MaxValue, 9),
        ["WorkerRetiring"] = new WorkerRetiring(3, 1L << 40),
        ["RunChunks empty"] = new RunChunks([]),
        ["ChunkResults"] = new ChunkResults(
            4,
            [
                new ChunkResult(1, 0, [0x92, 0x01, 0x04], null, 1234),
                new ChunkResult(1, 1, null, Error, long.MaxValue),
            ]),
        ["StopWorker immediately"] = new StopWorker(true),
        ["StopWorker gracefully"] = new StopWorker(false),
    };

    public ProtocolSerializerTests(ITestOutputHelper output)
        : base(
            ConfigurationFactory.ParseString(
                """
                akka.actor.provider = remote
                akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
                akka.remote.dot-netty.tcp.port = 0
                """).WithFallback(MultiprocessingRuntime.DefaultConfig()),
            null,
            output)
    {
    }

    public static TheoryData<string> PoolSampleNames => [.. PoolSamples.Keys];

    /// <summary>Every concrete type of the library that is bound to the protocol serializer.</summary>
    public static TheoryData<string> ProtocolMessageTypes => [.. MessageTypes().Select(t => t.FullName!)];

    [Theory]
    [MemberData(nameof(PoolSampleNames))]
    public void RoundTrip_restores_every_field_of_a_pool_message(string name)
    {
        var message = PoolSamples[name];

        var back = RoundTrip(message);

        Assert.NotSame(message, back);
        AssertSameContent(message, back, message.GetType().Name);
    }

    [Theory]
    [MemberData(nameof(ProtocolMessageTypes))]
    public void RoundTrip_restores_every_field_of_each_registered_message_type(string typeName)
    {
        var type = MessageTypes().Single(t => t.FullName == typeName);
        var message = Sample(type, type.Name);

        var back = RoundTrip(message);

        AssertSameContent(message, back, type.Name);
    }

    [Fact]
    public void Manifests_are_unique_and_name_their_types_both_ways()
    {
        var types = MessageTypes();
        var manifests = types.Select(ProtocolTypes.ToManifest).ToList();

        Assert.NotEmpty(types);
        Assert.Equal(manifests.Count, manifests.Distinct(StringComparer.Ordinal).Count());
        Assert.All(types, t => Assert.Equal(t, ProtocolTypes.FromManifest(ProtocolTypes.ToManifest(t))));
        Assert.Contains(typeof(RegisterWorker), types);
        Assert.Contains(typeof(StopWorker), types);
    }

    [Fact]
    public async Task RoundTrip_keeps_an_IActorRef_inside_a_message_pointing_at_the_same_actor()
    {
        var serializer = ProtocolSerializer();
        var options = (MessagePackSerializerOptions)typeof(ProtocolSerializer)
            .GetField("_options", BindingFlags.NonPublic | BindingFlags.Instance)!
            .GetValue(serializer)!;
        var target = CreateTestProbe();

        // No pool message carries a reference today, so a test message exercises the serializer's IActorRef formatter.
        var bytes = serializer.ToBinary(new RefCarrier(target.Ref, "note"));
        var back = MessagePackSerializer.Deserialize<RefCarrier>(bytes, options);

        // On the wire: the full path with this system's remote address and the actor's uid.
        var reader = new MessagePackReader(bytes);
        reader.ReadArrayHeader();
        var wire = reader.ReadString()!;
        Assert.Equal(Akka.Serialization.Serialization.SerializedActorPath(target.Ref), wire);
        Assert.StartsWith("akka.tcp://", wire, StringComparison.Ordinal);

        Assert.Equal(target.Ref, back.Ref);
        Assert.Equal("note", back.Note);
        back.Ref!.Tell("ping");
        await target.ExpectMsgAsync("ping", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void RoundTrip_turns_a_null_or_Nobody_IActorRef_into_null()
    {
        var serializer = ProtocolSerializer();
        var options = (MessagePackSerializerOptions)typeof(ProtocolSerializer)
            .GetField("_options", BindingFlags.NonPublic | BindingFlags.Instance)!
            .GetValue(serializer)!;

        Assert.Null(MessagePackSerializer.Deserialize<RefCarrier>(serializer.ToBinary(new RefCarrier(null, "a")), options).Ref);
        Assert.Null(MessagePackSerializer.Deserialize<RefCarrier>(serializer.ToBinary(new RefCarrier(ActorRefs.Nobody, "b")), options).Ref);
    }

    [Fact]
    public void FromBinary_throws_SerializationException_for_an_unknown_manifest()
    {
        var serializer = ProtocolSerializer();
        var bytes = serializer.ToBinary(new WorkerReady(1));

        var error = Assert.Throws<Multiprocessing.Internal.Serialization.SerializationException>(() => serializer.FromBinary(bytes, "zz9"));
        Assert.Contains("zz9", error.Message, StringComparison.Ordinal);
        Assert.Throws<Multiprocessing.Internal.Serialization.SerializationException>(() => Sys.Serialization.Deserialize(bytes, serializer.Identifier, "zz9"));
    }

    [Fact]
    public void Manifest_throws_for_a_type_that_is_not_a_protocol_message()
    {
        var serializer = ProtocolSerializer();

        var error = Assert.Throws<ArgumentException>(() => serializer.Manifest(new RefCarrier(null, "x")));
        Assert.Contains(nameof(RefCarrier), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serializer_is_bound_to_protocol_messages_with_its_identifier()
    {
        var serializer = ProtocolSerializer();

        Assert.Equal(4711, serializer.Identifier);
        Assert.Same(serializer, Sys.Serialization.FindSerializerForType(typeof(IProtocolMessage)));
        Assert.All(PoolSamples.Values, m => Assert.Same(serializer, Sys.Serialization.FindSerializerFor(m)));
    }

    private static int Identity<T>(T value) => value is int i ? i : 0;

    private static Exception Thrown(Exception error)
    {
        try
        {
            throw error;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }

    private static List<Type> MessageTypes() =>
    [
        .. typeof(IProtocolMessage).Assembly.GetTypes()
            .Where(t => typeof(IProtocolMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal),
    ];

    private ProtocolSerializer ProtocolSerializer() => Assert.IsType<ProtocolSerializer>(Sys.Serialization.FindSerializerFor(new WorkerReady(1)));

    /// <summary>Through Akka's serialization as a remote send does: serializer by binding, string manifest, bytes.</summary>
    private object RoundTrip(object message)
    {
        var serializer = Assert.IsType<ProtocolSerializer>(Sys.Serialization.FindSerializerFor(message));
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
        Assert.IsType(message.GetType(), back);
        return back;
    }

    /// <summary>A value of <paramref name="type"/> with every field set to something other than its default.</summary>
    private object Sample(Type type, string path, int depth = 0)
    {
        Assert.True(depth < 8, $"{path}: the message type nests too deep for a generated sample.");
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Sample(underlying, path, depth);
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return values.GetValue(values.Length - 1)!;
        }

        switch (Type.GetTypeCode(type))
        {
            case TypeCode.Boolean: return true;
            case TypeCode.Byte: return (byte)200;
            case TypeCode.Int16: return (short)-1234;
            case TypeCode.Int32: return 123_456_789;
            case TypeCode.Int64: return 9_876_543_210_123L;
            case TypeCode.Double: return 2.5;
            case TypeCode.Single: return 1.25f;
            case TypeCode.String: return $"{path} ünïcödé";
            default: break;
        }

        if (type == typeof(Guid))
        {
            return new Guid("0f8fad5b-d9cb-469f-a165-70867728950e");
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromMilliseconds(1500);
        }

        if (type == typeof(byte[]))
        {
            return new byte[] { 0x93, 0x01, 0xcc, 0xff, 0x00 };
        }

        if (typeof(IActorRef).IsAssignableFrom(type))
        {
            return TestActor;
        }

        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, 2);
            array.SetValue(Sample(element, $"{path}[0]", depth + 1), 0);
            array.SetValue(Sample(element, $"{path}[1]", depth + 1), 1);
            return array;
        }

        if (type.IsGenericType && type.GetGenericArguments() is [var item]
            && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>) || definition == typeof(List<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>)))
        {
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
            list.Add(Sample(item, $"{path}[0]", depth + 1));
            list.Add(Sample(item, $"{path}[1]", depth + 1));
            return list;
        }

        Assert.False(type == typeof(object), $"{path}: a field typed object has no generated sample; add a hand-written one.");
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).MaxBy(c => c.GetParameters().Length);
        Assert.True(constructor is not null, $"{path}: {type} has no public constructor for a generated sample.");
        var arguments = constructor.GetParameters().Select(p => Sample(p.ParameterType, $"{path}.{p.Name}", depth + 1)).ToArray();
        return constructor.Invoke(arguments);
    }

    /// <summary>
    /// Field-by-field equality: records holding arrays compare arrays by reference, so collections are compared element
    /// by element, references by <see cref="IActorRef"/> equality and everything else through its public properties.
    /// </summary>
    private static void AssertSameContent(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}.");
            return;
        }

        var type = expected.GetType();
        if (expected is IActorRef or string or Guid or TimeSpan || type.IsPrimitive || type.IsEnum)
        {
            Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}.");
            return;
        }

        if (expected is IEnumerable sequence)
        {
            var left = sequence.Cast<object?>().ToList();
            var right = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
            Assert.True(left.Count == right.Count, $"{path}: expected {left.Count} elements, got {right.Count}.");
            for (var i = 0; i < left.Count; i++)
            {
                AssertSameContent(left[i], right[i], $"{path}[{i}]");
            }

            return;
        }

        Assert.True(type == actual.GetType(), $"{path}: expected a {type.Name}, got a {actual.GetType().Name}.");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            AssertSameContent(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    /// <summary>A message shape with an actor reference (none of the library's messages has one yet).</summary>
    [MessagePackObject]
    public sealed record RefCarrier([property: Key(0)] IActorRef? Ref, [property: Key(1)] string Note);
}
