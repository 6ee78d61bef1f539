using Akka.Actor;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>A proxy of a fixed-length <c>Array</c> in a manager process (M-51): get, set, length and copies.</summary>
/// <typeparam name="T">The element type (enforced: elements are stored as this type).</typeparam>
public sealed class ArrayProxy<T> : ISharedObject<ArrayProxy<T>>
{
    private readonly ContainerClient _client;

    private ArrayProxy(IActorRef actor) => _client = new ContainerClient(actor, "Array", ContainerKinds.Array);

    IActorRef ISharedObject.Actor => _client.Actor;

    /// <summary>Reads or replaces an element; negative indexes count from the end.</summary>
    /// <param name="index">The position.</param>
    /// <exception cref="ArgumentOutOfRangeException">No element at that position.</exception>
    public T this[int index]
    {
        get => ContainerClient.Decode<T>(_client.Call("get", ContainerClient.EncodeIndex(index)));
        set => _client.Call("set", ContainerClient.EncodeIndex(index), ContainerClient.Encode(value, "An array element"));
    }

    /// <summary>The number of elements.</summary>
    public int Length => (int)ContainerClient.Count(_client.Call("count"));

    /// <summary>Adds <paramref name="delta"/> to the element at <paramref name="index"/> atomically; returns the new value.</summary>
    /// <param name="index">The position.</param>
    /// <param name="delta">The amount to add.</param>
    /// <returns>The new value.</returns>
    public T Increment(int index, T delta) =>
        ContainerClient.Decode<T>(_client.Call("increment", [ContainerClient.EncodeIndex(index), .. ContainerClient.Delta(delta, "An array element")]));

    /// <summary>A plain copy of the elements.</summary>
    /// <returns>The copy.</returns>
    public T[] ToArray() =>
        [.. ContainerClient.DecodeList<T>(_client.Call("slice", ContainerClient.EncodeOptionalIndex(null), ContainerClient.EncodeOptionalIndex(null)))];

    /// <summary>The elements as text.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => "[" + string.Join(", ", ToArray()) + "]";

    static ArrayProxy<T> ISharedObject<ArrayProxy<T>>.Attach(IActorRef actor) => new(actor);
}
