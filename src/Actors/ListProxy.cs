using Akka.Actor;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A proxy of a <c>list</c> in a manager process (Python's <c>ListProxy</c>, M-40). A call is one round trip, a read
/// none while this process holds a read lease on the list (multiprocessing.shared-objects); what you read is a copy
/// (M-22, M-28); <see cref="Extend"/> adds many items in one call.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ListProxy<T> : ISharedObject<ListProxy<T>>
{
    private readonly ContainerClient _client;

    private ListProxy(IActorRef actor) => _client = new ContainerClient(actor, "list", ContainerKinds.List);

    IActorRef ISharedObject.Actor => _client.Actor;

    /// <summary>Reads or replaces an item; negative indexes count from the end.</summary>
    /// <param name="index">The position.</param>
    /// <exception cref="ArgumentOutOfRangeException">No item at that position.</exception>
    public T this[int index]
    {
        get => ContainerClient.Decode<T>(_client.Call("get", ContainerClient.EncodeIndex(index)));
        set => _client.Call("set", ContainerClient.EncodeIndex(index), Encode(value));
    }

    /// <summary>The number of items.</summary>
    public int Count => (int)ContainerClient.Count(_client.Call("count"));

    /// <summary>Adds an item at the end.</summary>
    /// <param name="item">The item.</param>
    public void Append(T item) => _client.Write("append", Encode(item));

    /// <summary>Adds an item at the end without blocking a thread; appends from one client keep their order.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops waiting for the acknowledgement.</param>
    /// <returns>A task that completes when the manager added it.</returns>
    public Task AppendAsync(T item, CancellationToken cancellationToken = default) => _client.CallAsync("append", cancellationToken, Encode(item));

    /// <summary>Adds many items at the end in one round trip, atomically.</summary>
    /// <param name="items">The items.</param>
    public void Extend(IEnumerable<T> items) => _client.Write("extend", ContainerClient.EncodeAll(items, "A list item"));

    /// <summary>Inserts an item before <paramref name="index"/>.</summary>
    /// <param name="index">The position; beyond the end appends.</param>
    /// <param name="item">The item.</param>
    public void Insert(int index, T item) => _client.Call("insert", ContainerClient.EncodeIndex(index), Encode(item));

    /// <summary>Removes and returns the item at <paramref name="index"/> (default: the last).</summary>
    /// <param name="index">The position; negative counts from the end.</param>
    /// <returns>The removed item.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The list is empty or the index is out of range.</exception>
    public T Pop(int index = -1) => ContainerClient.Decode<T>(_client.Call("pop", ContainerClient.EncodeIndex(index)));

    /// <summary>Removes the first item equal to <paramref name="item"/>.</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="ArgumentException">No such item.</exception>
    public void Remove(T item) => _client.Call("remove", Encode(item));

    /// <summary>Whether an equal item is in the list.</summary>
    /// <param name="item">The item.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Contains(T item) => ContainerClient.IsTrue(_client.Call("contains", Encode(item)));

    /// <summary>The position of the first equal item.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Its index.</returns>
    /// <exception cref="ArgumentException">No such item.</exception>
    public int IndexOf(T item) => (int)ContainerClient.Count(_client.Call("index", Encode(item)));

    /// <summary>Removes every item.</summary>
    public void Clear() => _client.Call("clear");

    /// <summary>A copy of the items from <paramref name="start"/> to before <paramref name="stop"/> (Python's <c>l[start:stop]</c>).</summary>
    /// <param name="start">First position (null: 0); negative counts from the end.</param>
    /// <param name="stop">Position after the last (null: the end).</param>
    /// <returns>The copied items.</returns>
    public List<T> Slice(int? start = null, int? stop = null) =>
        ContainerClient.DecodeList<T>(_client.Call("slice", ContainerClient.EncodeOptionalIndex(start), ContainerClient.EncodeOptionalIndex(stop)));

    /// <summary>A plain copy of the whole list (Python's <c>l[:]</c>).</summary>
    /// <returns>The copy.</returns>
    public List<T> Copy() => Slice();

    /// <summary>Python's <c>str(proxy)</c>: the referent's contents.</summary>
    /// <returns>The items as text.</returns>
    public override string ToString() => "[" + string.Join(", ", Copy()) + "]";

    static ListProxy<T> ISharedObject<ListProxy<T>>.Attach(IActorRef actor) => new(actor);

    private static byte[] Encode(T item) => ContainerClient.Encode(item, "A list item");
}
