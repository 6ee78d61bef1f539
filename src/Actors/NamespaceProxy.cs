using System.Dynamic;
using Akka.Actor;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A proxy of a <c>Namespace</c> in a manager process (M-42): named attributes; a read is one round trip, or none while
/// this process holds a read lease (multiprocessing.shared-objects).
/// Use <see cref="Get{T}"/>/<see cref="Set{T}"/>, or <c>dynamic ns = manager.Namespace(); ns.Count = 1;</c>.
/// </summary>
public sealed class NamespaceProxy : DynamicObject, ISharedObject<NamespaceProxy>
{
    private readonly ContainerClient _client;

    private NamespaceProxy(IActorRef actor) => _client = new ContainerClient(actor, "Namespace", ContainerKinds.Namespace);

    IActorRef ISharedObject.Actor => _client.Actor;

    /// <summary>Reads an attribute.</summary>
    /// <typeparam name="T">The attribute's type.</typeparam>
    /// <param name="name">The attribute name.</param>
    /// <returns>A copy of its value.</returns>
    /// <exception cref="MissingMemberException">No such attribute.</exception>
    public T Get<T>(string name) => ContainerClient.Decode<T>(_client.Call("get", Name(name)));

    /// <summary>Sets an attribute.</summary>
    /// <typeparam name="T">The attribute's type.</typeparam>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The value.</param>
    public void Set<T>(string name, T value) => _client.Write("set", Name(name), ContainerClient.Encode(value, $"Attribute {name}"));

    /// <summary>Adds <paramref name="delta"/> to a numeric attribute atomically (missing: starts from 0); returns the new value.</summary>
    /// <typeparam name="T">The attribute's type.</typeparam>
    /// <param name="name">The attribute name.</param>
    /// <param name="delta">The amount to add.</param>
    /// <returns>The new value.</returns>
    public T Increment<T>(string name, T delta) =>
        ContainerClient.Decode<T>(_client.Call("increment", [Name(name), .. ContainerClient.Delta(delta, $"Attribute {name}")]));

    /// <summary>Removes an attribute.</summary>
    /// <param name="name">The attribute name.</param>
    /// <exception cref="MissingMemberException">No such attribute.</exception>
    public void Delete(string name) => _client.Call("delete", Name(name));

    /// <summary>Whether the attribute exists.</summary>
    /// <param name="name">The attribute name.</param>
    /// <returns><see langword="true"/> when set.</returns>
    public bool Has(string name) => ContainerClient.IsTrue(_client.Call("contains", Name(name)));

    /// <summary>The attribute names, sorted.</summary>
    /// <returns>The names.</returns>
    public List<string> Names() => [.. ContainerClient.DecodeList<string>(_client.Call("keys")).Order(StringComparer.Ordinal)];

    /// <inheritdoc/>
    public override bool TryGetMember(GetMemberBinder binder, out object? result)
    {
        result = Get<object?>(binder.Name);
        return true;
    }

    /// <inheritdoc/>
    public override bool TrySetMember(SetMemberBinder binder, object? value)
    {
        _client.Write("set", Name(binder.Name), Multiprocessing.Internal.Serialization.ValueCodec.Serialize(
            value?.GetType() ?? typeof(object), value, $"Attribute {binder.Name}"));
        return true;
    }

    /// <inheritdoc/>
    public override IEnumerable<string> GetDynamicMemberNames() => Names();

    /// <summary>Python's <c>str(ns)</c>: <c>Namespace(a=1, b='x')</c> with names sorted.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var items = ContainerClient.DecodePairs<string, object?>(_client.Call("items")).OrderBy(p => p.Key, StringComparer.Ordinal);
        return "Namespace(" + string.Join(", ", items.Select(p => $"{p.Key}={(p.Value is string text ? $"'{text}'" : p.Value)}")) + ")";
    }

    static NamespaceProxy ISharedObject<NamespaceProxy>.Attach(IActorRef actor) => new(actor);

    private static byte[] Name(string name) => ContainerClient.Encode(name, "An attribute name");
}
