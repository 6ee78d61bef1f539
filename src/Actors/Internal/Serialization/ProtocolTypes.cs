using System.Collections.Frozen;
using Multiprocessing.Internal.Cluster;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Pooling;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing.Internal.Serialization;

/// <summary>
/// The fixed table of protocol message types and their wire manifests. Each feature lists its own messages next
/// to their definitions (a <c>Manifests</c> member of its protocol class); manifests must be unique.
/// </summary>
internal static class ProtocolTypes
{
    private static readonly (Type Type, string Manifest)[] Table =
    [
        .. PoolProtocol.Manifests,
        .. CallProtocol.Manifests,
        .. LockProtocol.Manifests,
        .. ProcessProtocol.Manifests,
        .. ManagerProtocol.Manifests,
        .. ProtocolExtensions.Manifests,
        .. ClusterProtocol.Manifests,
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
