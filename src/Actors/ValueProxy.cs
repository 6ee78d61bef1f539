using Akka.Actor;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A proxy of a <c>Value</c> in a manager process (M-50): a read is one round trip, or none while this process holds
/// a read lease (multiprocessing.shared-objects); a write is sent without waiting; <see cref="Increment"/> and
/// <see cref="CompareAndSet"/> update it atomically in the manager.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class ValueProxy<T> : ISharedObject<ValueProxy<T>>
{
    private readonly ContainerClient _client;

    private ValueProxy(IActorRef actor) => _client = new ContainerClient(actor, "Value", ContainerKinds.Value);

    IActorRef ISharedObject.Actor => _client.Actor;

    /// <summary>The shared value (Python's <c>.value</c>).</summary>
    public T Value
    {
        get => ContainerClient.Decode<T>(_client.Call("get"));
        set => _client.Write("set", Encode(value));
    }

    /// <summary>Adds <paramref name="delta"/> atomically and returns the new value.</summary>
    /// <param name="delta">The amount to add (the value must be a number).</param>
    /// <returns>The new value.</returns>
    public T Increment(T delta) => ContainerClient.Decode<T>(_client.Call("increment", ContainerClient.Delta(delta, "A Value")));

    /// <summary>The awaitable twin of <see cref="Increment"/>; many may be in flight at once.</summary>
    /// <param name="delta">The amount to add.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The new value.</returns>
    public async Task<T> IncrementAsync(T delta, CancellationToken cancellationToken = default) =>
        ContainerClient.Decode<T>(await _client.CallAsync("increment", cancellationToken, ContainerClient.Delta(delta, "A Value")).ConfigureAwait(false));

    /// <summary>Stores <paramref name="value"/> only if the current value equals <paramref name="expected"/>, atomically.</summary>
    /// <param name="expected">The value you expect.</param>
    /// <param name="value">The new value.</param>
    /// <returns><see langword="true"/> if it was stored.</returns>
    public bool CompareAndSet(T expected, T value) => ContainerClient.IsTrue(_client.Call("compare-and-set", Encode(expected), Encode(value)));

    /// <summary>The value as text.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"Value({Value})";

    static ValueProxy<T> ISharedObject<ValueProxy<T>>.Attach(IActorRef actor) => new(actor);

    private static byte[] Encode(T value) => ContainerClient.Encode(value, "A Value");
}
