using Akka.Actor;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A proxy of a <c>dict</c> in a manager process (Python's <c>DictProxy</c>, M-41). A call is one round trip, a read
/// none while this process holds a read lease on the dict (multiprocessing.shared-objects);
/// what you read is a copy (M-22): changing a value read from the dict changes nothing shared until you store it
/// again (M-28). Use <see cref="Increment"/> and <see cref="Update"/> instead of read-modify-write (M-24). A proxy
/// travels to Pool tasks and Process children as an argument (M-26); stored as a value of proxy type, it stays a
/// proxy (M-27).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class DictProxy<TKey, TValue> : ISharedObject<DictProxy<TKey, TValue>>
{
    private readonly ContainerClient _client;

    private DictProxy(IActorRef actor) => _client = new ContainerClient(actor, "dict", ContainerKinds.Dict);

    IActorRef ISharedObject.Actor => _client.Actor;

    /// <summary>Reads or stores a value (Python's <c>d[key]</c>).</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="KeyNotFoundException">Reading a key that is not there.</exception>
    public TValue this[TKey key]
    {
        get => ContainerClient.Decode<TValue>(_client.Call("get", Key(key)));
        set => _client.Write("set", Key(key), Val(value));
    }

    /// <summary>The number of entries.</summary>
    public int Count => (int)ContainerClient.Count(_client.Call("count"));

    /// <summary>The value for <paramref name="key"/>, or <paramref name="defaultValue"/> (Python's <c>get</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">Returned when the key is missing.</param>
    /// <returns>The value or the default.</returns>
    public TValue Get(TKey key, TValue defaultValue) => ContainerClient.Decode<TValue>(_client.Call("get", Key(key), Val(defaultValue)));

    /// <summary>Stores a value without blocking a thread; calls from one client are applied in order.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Stops waiting for the acknowledgement.</param>
    /// <returns>A task that completes when the manager stored it.</returns>
    public Task SetAsync(TKey key, TValue value, CancellationToken cancellationToken = default) =>
        _client.CallAsync("set", cancellationToken, Key(key), Val(value));

    /// <summary>Reads a value without blocking a thread.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The value.</returns>
    /// <exception cref="KeyNotFoundException">The key is not there.</exception>
    public async Task<TValue> GetAsync(TKey key, CancellationToken cancellationToken = default) =>
        ContainerClient.Decode<TValue>(await _client.CallAsync("get", cancellationToken, Key(key)).ConfigureAwait(false));

    /// <summary>Whether <paramref name="key"/> is there (Python's <c>key in d</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool ContainsKey(TKey key) => ContainerClient.IsTrue(_client.Call("contains", Key(key)));

    /// <summary>Removes a key (Python's <c>del d[key]</c>).</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="KeyNotFoundException">The key is not there.</exception>
    public void Remove(TKey key) => _client.Call("delete", Key(key));

    /// <summary>Removes and returns a value (Python's <c>pop</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The removed value.</returns>
    /// <exception cref="KeyNotFoundException">The key is not there.</exception>
    public TValue Pop(TKey key) => ContainerClient.Decode<TValue>(_client.Call("pop", Key(key)));

    /// <summary>Removes and returns a value, or <paramref name="defaultValue"/> when missing.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">Returned when the key is missing.</param>
    /// <returns>The removed value or the default.</returns>
    public TValue Pop(TKey key, TValue defaultValue) => ContainerClient.Decode<TValue>(_client.Call("pop", Key(key), Val(defaultValue)));

    /// <summary>Returns the value, storing <paramref name="defaultValue"/> first if the key is missing (atomic).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">Stored when missing.</param>
    /// <returns>The value now stored.</returns>
    public TValue SetDefault(TKey key, TValue defaultValue) =>
        ContainerClient.Decode<TValue>(_client.Call("setdefault", Key(key), Val(defaultValue)));

    /// <summary>Stores many entries in one round trip, atomically (Python's <c>update</c>).</summary>
    /// <param name="pairs">The entries.</param>
    public void Update(IEnumerable<KeyValuePair<TKey, TValue>> pairs) =>
        _client.Write("update", pairs.SelectMany(p => new[] { Key(p.Key), Val(p.Value) }).ToArray());

    /// <summary>
    /// Adds <paramref name="delta"/> to the number at <paramref name="key"/> (a missing key starts from 0) in the
    /// manager, atomically, and returns the new value: no lock and no lost update (M-24, pain point 24).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <returns>The new value.</returns>
    public TValue Increment(TKey key, TValue delta) => ContainerClient.Decode<TValue>(_client.Call("increment", [Key(key), .. ContainerClient.Delta(delta, "A dict value")]));

    /// <summary>The awaitable twin of <see cref="Increment"/>; many increments may be in flight at once.</summary>
    /// <param name="key">The key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The new value.</returns>
    public async Task<TValue> IncrementAsync(TKey key, TValue delta, CancellationToken cancellationToken = default) =>
        ContainerClient.Decode<TValue>(await _client.CallAsync("increment", cancellationToken, [Key(key), .. ContainerClient.Delta(delta, "A dict value")]).ConfigureAwait(false));

    /// <summary>Removes every entry.</summary>
    public void Clear() => _client.Call("clear");

    /// <summary>A copy of the keys, in insertion order (Python returns a list).</summary>
    /// <returns>The keys.</returns>
    public List<TKey> Keys() => ContainerClient.DecodeList<TKey>(_client.Call("keys"));

    /// <summary>A copy of the values, in insertion order.</summary>
    /// <returns>The values.</returns>
    public List<TValue> Values() => ContainerClient.DecodeList<TValue>(_client.Call("values"));

    /// <summary>A copy of the entries, in insertion order.</summary>
    /// <returns>The entries.</returns>
    public List<KeyValuePair<TKey, TValue>> Items() => ContainerClient.DecodePairs<TKey, TValue>(_client.Call("items"));

    /// <summary>Python's <c>str(proxy)</c>: the referent's contents.</summary>
    /// <returns>The entries as text.</returns>
    public override string ToString() => "{" + string.Join(", ", Items().Select(p => $"{p.Key}: {p.Value}")) + "}";

    static DictProxy<TKey, TValue> ISharedObject<DictProxy<TKey, TValue>>.Attach(IActorRef actor) => new(actor);

    private static byte[] Key(TKey key) => ContainerClient.Encode(key, "A dict key");

    private static byte[] Val(TValue value) => ContainerClient.Encode(value, "A dict value");
}
