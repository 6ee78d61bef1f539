using System.Reflection;
using System.Text;
using Akka.Actor;
using MessagePack;
using Multiprocessing.Internal.Management;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Internal.Runtime;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// A manager process serving shared objects to other processes through proxies (Python's
/// <c>multiprocessing.Manager()</c>, M-01). Each object is one actor in the manager process, so each call on it is
/// atomic. Proxies travel to Pool tasks and Process children as arguments. If the manager process dies, calls fail
/// with <see cref="ManagerUnavailableException"/> within about two seconds (M-08 target). Dispose to shut it down
/// (<c>with Manager() as m:</c> is <c>using var m = Manager.Start();</c>).
/// </summary>
public sealed class Manager : IDisposable, IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(1);
    private readonly ChildProcess _process;
    private readonly IActorRef _manager;
    private readonly Dictionary<Type, Type> _registered = [];
    private int _shutdown;

    private Manager(ChildProcess process, IActorRef manager)
    {
        _process = process;
        _manager = manager;
    }

    /// <summary>The manager process's id.</summary>
    public int Pid => _process.Pid;

    /// <summary>Starts a manager process and waits until it serves (M-01).</summary>
    /// <returns>The started manager.</returns>
    /// <exception cref="ManagerUnavailableException">The manager process could not start.</exception>
    /// <exception cref="InvalidOperationException">Called in a daemonic process (a pool worker).</exception>
    public static Manager Start() => StartAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Start"/>.</summary>
    /// <param name="cancellationToken">Stops waiting (the process is killed).</param>
    /// <returns>The started manager.</returns>
    public static async Task<Manager> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Process.Current.Daemon)
        {
            throw new InvalidOperationException("Daemonic processes are not allowed to have children: a pool worker cannot start a Manager.");
        }

        var (process, manager) = await ManagerLauncher.StartAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
        return new Manager(process, manager);
    }

    /// <summary>A shared <c>dict</c> (M-41), optionally filled with <paramref name="items"/>.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="items">Initial entries.</param>
    /// <returns>Its proxy.</returns>
    public DictProxy<TKey, TValue> Dict<TKey, TValue>(IEnumerable<KeyValuePair<TKey, TValue>>? items = null) =>
        Create<DictProxy<TKey, TValue>>(ContainerKinds.Dict, (items ?? []).SelectMany(p => new[]
        {
            ContainerClient.Encode(p.Key, "A dict key"), ContainerClient.Encode(p.Value, "A dict value"),
        }).ToArray());

    /// <summary>A shared <c>list</c> (M-40), optionally filled with <paramref name="items"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="items">Initial items.</param>
    /// <returns>Its proxy.</returns>
    public ListProxy<T> List<T>(IEnumerable<T>? items = null) =>
        Create<ListProxy<T>>(ContainerKinds.List, ContainerClient.EncodeAll(items ?? [], "A list item"));

    /// <summary>A shared <c>Namespace</c> (M-42).</summary>
    /// <returns>Its proxy.</returns>
    public NamespaceProxy Namespace() => Create<NamespaceProxy>(ContainerKinds.Namespace, []);

    /// <summary>A shared <c>Value</c> (M-50).</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="value">The initial value.</param>
    /// <returns>Its proxy.</returns>
    public ValueProxy<T> Value<T>(T value) => Create<ValueProxy<T>>(ContainerKinds.Value, [ContainerClient.Encode(value, "A Value")]);

    /// <summary>A shared fixed-length <c>Array</c> holding <paramref name="items"/> (M-51).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The elements; their count is the array's length.</param>
    /// <returns>Its proxy.</returns>
    public ArrayProxy<T> Array<T>(IEnumerable<T> items) =>
        Create<ArrayProxy<T>>(ContainerKinds.Array, ContainerClient.EncodeAll(items, "An array element"));

    /// <summary>A shared fixed-length <c>Array</c> of <paramref name="length"/> default values (M-51).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">The number of elements.</param>
    /// <returns>Its proxy.</returns>
    public ArrayProxy<T> Array<T>(int length) =>
        Array(Enumerable.Repeat(default(T)!, length >= 0 ? length : throw new ArgumentOutOfRangeException(nameof(length), length, "An Array's length must be 0 or more.")));

    /// <summary>A lock in the manager (M-43); released if the process holding it dies (M-54 target).</summary>
    /// <returns>Its proxy.</returns>
    public Lock Lock() => Create<Lock>(ContainerKinds.Lock, []);

    /// <summary>A reentrant lock in the manager (M-44); released if the owning process dies (M-54 target).</summary>
    /// <returns>Its proxy.</returns>
    public RLock RLock() => Create<RLock>(ContainerKinds.RLock, []);

    /// <summary>A semaphore in the manager (M-45).</summary>
    /// <param name="value">The starting value.</param>
    /// <returns>Its proxy.</returns>
    public Semaphore Semaphore(int value = 1) =>
        Create<Semaphore>(ContainerKinds.Semaphore, [MessagePackSerializer.Serialize(Multiprocessing.Semaphore.CheckValue(value))]);

    /// <summary>A bounded semaphore in the manager (M-45).</summary>
    /// <param name="value">The starting and largest value.</param>
    /// <returns>Its proxy.</returns>
    public BoundedSemaphore BoundedSemaphore(int value = 1) =>
        Create<BoundedSemaphore>(ContainerKinds.BoundedSemaphore, [MessagePackSerializer.Serialize(Multiprocessing.Semaphore.CheckValue(value))]);

    /// <summary>
    /// Registers a type the manager can create (Python's <c>BaseManager.register</c>, M-60, M-61): its objects live in
    /// the manager process and are used through <typeparamref name="TContract"/>, each call a round trip (M-62).
    /// </summary>
    /// <typeparam name="TContract">The interface clients call.</typeparam>
    /// <typeparam name="TImplementation">The class the manager instantiates (public parameterless constructor).</typeparam>
    public void Register<TContract, TImplementation>()
        where TContract : class
        where TImplementation : class, TContract, new()
    {
        if (!typeof(TContract).IsInterface)
        {
            throw new ArgumentException($"{typeof(TContract).Name} must be an interface: clients call the object through it.", nameof(TContract));
        }

        _registered[typeof(TContract)] = typeof(TImplementation);
    }

    /// <summary>Creates an object of the type registered for <typeparamref name="TContract"/> in the manager (M-61).</summary>
    /// <typeparam name="TContract">The registered interface.</typeparam>
    /// <returns>A proxy implementing <typeparamref name="TContract"/>; each call runs on the one instance in the manager.</returns>
    /// <exception cref="InvalidOperationException">Nothing was registered for <typeparamref name="TContract"/>.</exception>
    public TContract Create<TContract>()
        where TContract : class
    {
        if (!_registered.TryGetValue(typeof(TContract), out var implementation))
        {
            throw new InvalidOperationException($"Register<{typeof(TContract).Name}, ...>() first: no type is registered for it.");
        }

        var actor = CreateActor(ContainerKinds.Custom, [
            Encoding.UTF8.GetBytes(implementation.AssemblyQualifiedName!),
            Encoding.UTF8.GetBytes(typeof(TContract).AssemblyQualifiedName!),
        ]);
        var proxy = DispatchProxy.Create<TContract, CustomObjectProxy>();
        ((CustomObjectProxy)(object)proxy).Attach(actor);
        return proxy;
    }

    /// <summary>Stops the manager process (M-05): asks it to stop, waits up to 1 s, then kills it. Idempotent.</summary>
    public void Shutdown() => ShutdownAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Shutdown"/>.</summary>
    /// <returns>A task that completes when the manager process is gone.</returns>
    public async Task ShutdownAsync()
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _manager.Tell(new ManagerProtocol.StopManager(0));
            try
            {
                await _process.Exited.WaitAsync(ShutdownTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _process.Kill();
                await _process.Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }

    /// <summary>Shuts the manager down (M-04).</summary>
    public void Dispose() => Shutdown();

    /// <summary>Shuts the manager down without blocking a thread.</summary>
    /// <returns>A task that completes when the manager process is gone.</returns>
    public async ValueTask DisposeAsync() => await ShutdownAsync().ConfigureAwait(false);

    private T Create<T>(string kind, byte[][] args)
        where T : class, ISharedObject<T> => T.Attach(CreateActor(kind, args));

    private IActorRef CreateActor(string kind, byte[][] args)
    {
        if (Volatile.Read(ref _shutdown) != 0)
        {
            throw new ObjectDisposedException(nameof(Manager), "The manager has shut down (M-06).");
        }

        var reply = Caller.Check(
            Caller.Call(_manager, id => new ManagerProtocol.CreateObject(id, kind, args), $"Manager.{kind}"),
            $"manager process {Pid}");
        var path = Encoding.UTF8.GetString(((Data)reply).Value);
        return ((ExtendedActorSystem)MultiprocessingRuntime.System).Provider.ResolveActorRef(path);
    }
}
