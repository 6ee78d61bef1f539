using System.Collections.Frozen;
using Multiprocessing.Internal.Pooling;

namespace Multiprocessing.Internal.Serialization;

/// <summary>The fixed table of protocol message types and their wire manifests.</summary>
internal static class ProtocolTypes
{
    private static readonly (Type Type, string Manifest)[] Table =
    [
        (typeof(PoolProtocol.RegisterWorker), "pw1"),
        (typeof(PoolProtocol.WorkerSetup), "pw2"),
        (typeof(PoolProtocol.WorkerReady), "pw3"),
        (typeof(PoolProtocol.WorkerInitFailed), "pw4"),
        (typeof(PoolProtocol.RunChunks), "pw5"),
        (typeof(PoolProtocol.ChunkResults), "pw6"),
        (typeof(PoolProtocol.StopWorker), "pw7"),
    ];

    private static readonly FrozenDictionary<Type, string> ByType = Table.ToFrozenDictionary(e => e.Type, e => e.Manifest);
    private static readonly FrozenDictionary<string, Type> ByManifest = Table.ToFrozenDictionary(e => e.Manifest, e => e.Type);

    public static string ToManifest(Type type) =>
        ByType.TryGetValue(type, out var manifest)
            ? manifest
            : throw new ArgumentException($"{type.FullName} is not a registered protocol message.", nameof(type));

    public static Type FromManifest(string manifest) =>
        ByManifest.TryGetValue(manifest, out var type)
            ? type
            : throw new SerializationException($"Unknown protocol manifest '{manifest}'.");
}
