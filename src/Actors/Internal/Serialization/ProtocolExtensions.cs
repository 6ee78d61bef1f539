using Multiprocessing.Internal.Pipes;
using Multiprocessing.Internal.Queues;
using Multiprocessing.Internal.Sync;

namespace Multiprocessing.Internal.Serialization;

/// <summary>Manifests of the protocols added after the core ones: one line per feature.</summary>
internal static class ProtocolExtensions
{
    public static IEnumerable<(Type Type, string Manifest)> Manifests =>
    [
        .. Queues(),
        .. Sync(),
        .. Pipes(),
    ];

    // Queue, JoinableQueue, SimpleQueue (prefix "q").
    private static IEnumerable<(Type, string)> Queues() => QueueProtocol.Manifests;

    // Event, Condition, Barrier (prefix "s").
    private static IEnumerable<(Type, string)> Sync() =>
    [
        .. EventProtocol.Manifests,
        .. ConditionProtocol.Manifests,
        .. BarrierProtocol.Manifests,
    ];

    // Pipe connections (prefix "x").
    private static IEnumerable<(Type, string)> Pipes() => PipeProtocol.Manifests;
}
