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
    private readonly ChildProcess? _process;
    private readonly IActorRef _manager;
    private readonly Dictionary<Type, Type> _registered = [];
    private int _shutdown;

    private Manager(ChildProcess? process, IActorRef manager, int pid)
    {
        _process = process;
        _manager = manager;
        Pid = pid;
    }

    /// <summary>The manager process's id.</summary>
    public int Pid { get; }

    /// <summary>Starts a manager process on this machine, reachable only by this process and its children (M-01).</summary>
    /// <returns>The started manager.</returns>
    /// <exception cref="ManagerUnavailableException">The manager process could not start.</exception>
    /// <exception cref="InvalidOperationException">Called in a daemonic process (a pool worker).</exception>
    public static Manager Start() => StartAsync().GetAwaiter().GetResult();

    /// <summary>
    /// Starts a manager process that also serves other processes and machines at <paramref name="address"/>
    /// (<c>host:port</c>; Python's <c>BaseManager(address, authkey)</c>, M-09). Clients attach with
    /// <see cref="Connect"/> and the same <paramref name="authkey"/>; everyone else is refused (M-10).
    /// </summary>
    /// <param name="address">Where to listen, as <c>host:port</c>. Use 127.0.0.1 unless other machines must reach it.</param>
    /// <param name="authkey">The shared secret; at least 16 bytes. It never travels: clients prove they know it.</param>
    /// <returns>The started manager.</returns>
    /// <exception cref="ArgumentException">The address or key is malformed.</exception>
    /// <exception cref="ManagerUnavailableException">The manager process could not start (for example the port is taken).</exception>
    public static Manager Start(string address, byte[] authkey) => StartAsync(address, authkey).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Start()"/>.</summary>
    /// <param name="cancellationToken">Stops waiting (the process is killed).</param>
    /// <returns>The started manager.</returns>
    public static Task<Manager> StartAsync(CancellationToken cancellationToken = default) =>
        StartCoreAsync(null, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), cancellationToken);

    /// <summary>The awaitable twin of <see cref="Start(string, byte[])"/>.</summary>
    /// <param name="address">Where to listen, as <c>host:port</c>.</param>
    /// <param name="authkey">The shared secret; at least 16 bytes.</param>
    /// <param name="cancellationToken">Stops waiting (the process is killed).</param>
    /// <returns>The started manager.</returns>
    public static Task<Manager> StartAsync(string address, byte[] authkey, CancellationToken cancellationToken = default) =>
        StartCoreAsync(ParseAddress(address), CheckKey(authkey), cancellationToken);

    /// <summary>
    /// Attaches to a manager started elsewhere with <see cref="Start(string, byte[])"/> (M-09). Authentication is a
    /// mutual challenge–response; a wrong key raises <see cref="System.Security.Authentication.AuthenticationException"/>
    /// and gives no access (M-10).
    /// </summary>
    /// <param name="address">The manager's <c>host:port</c>.</param>
    /// <param name="authkey">The manager's authkey.</param>
    /// <returns>A manager client: create objects, or <see cref="Get{T}"/> shared ones; <see cref="Shutdown"/> only detaches.</returns>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The key is wrong.</exception>
    /// <exception cref="ManagerUnavailableException">No manager answers at that address.</exception>
    public static Manager Connect(string address, byte[] authkey) => ConnectAsync(address, authkey).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Connect"/>.</summary>
    /// <param name="address">The manager's <c>host:port</c>.</param>
    /// <param name="authkey">The manager's authkey.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The manager client.</returns>
    public static async Task<Manager> ConnectAsync(string address, byte[] authkey, CancellationToken cancellationToken = default)
    {
        var (host, port) = ParseAddress(address);
        CheckKey(authkey);
        var system = MultiprocessingRuntime.System;
        var remote = MultiprocessingRuntime.RemoteAddress(host, port);
        KeyRing.Add(remote, authkey);
        var manager = ManagerPath.Resolve(remote);
        var handshake = KeyRing.ProveAsync(remote);
        var timeout = Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
        if (await Task.WhenAny(handshake, timeout).ConfigureAwait(false) == timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ManagerUnavailableException($"No manager answered at {address} within 10 s.");
        }

        return new Manager(null, manager, await handshake.ConfigureAwait(false));
    }

    private static async Task<Manager> StartCoreAsync((string Host, int Port)? bind, byte[] key, CancellationToken cancellationToken)
    {
        if (Process.Current.Daemon)
        {
            throw new InvalidOperationException("Daemonic processes are not allowed to have children: a pool worker cannot start a Manager.");
        }

        var (process, manager) = await ManagerLauncher.StartAsync(bind, key, StartTimeout, cancellationToken).ConfigureAwait(false);

        // Children of this process get the key with their start data, so proxies passed to them can authenticate.
        KeyRing.Add(manager.Path.Address, key);

        // The owner sees the manager's process exit at once: its calls fail now instead of after the failure detector.
        var address = manager.Path.Address;
        _ = process.Exited.ContinueWith(
            _ => Caller.ProcessGone(address), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new Manager(process, manager, process.Pid);
    }

    /// <summary>Publishes <paramref name="proxy"/> under <paramref name="name"/> for clients of <see cref="Connect"/>.</summary>
    /// <param name="name">The name clients ask for.</param>
    /// <param name="proxy">A proxy of an object of this manager (or any shared object).</param>
    /// <exception cref="ArgumentException"><paramref name="proxy"/> is not a shared object's proxy.</exception>
    public void Share(string name, object proxy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (proxy is not ISharedObject shared)
        {
            throw new ArgumentException($"A {proxy?.GetType().Name ?? "null"} is not a shared object: share a proxy from this manager.", nameof(proxy));
        }

        var address = ((ExtendedActorSystem)MultiprocessingRuntime.System).Provider.DefaultAddress;
        Caller.Check(
            Caller.Call(_manager, id => new ManagerProtocol.Share(id, name, shared.Actor.Path.ToStringWithAddress(address)), "Manager.Share"),
            $"manager process {Pid}");
    }

    /// <summary>Returns a proxy of the object published as <paramref name="name"/> (M-09).</summary>
    /// <typeparam name="T">The proxy type, e.g. <c>DictProxy&lt;string, int&gt;</c> or <c>Queue&lt;int&gt;</c>.</typeparam>
    /// <param name="name">The published name.</param>
    /// <returns>The proxy.</returns>
    /// <exception cref="KeyNotFoundException">Nothing is published under that name.</exception>
    public T Get<T>(string name)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var reply = Caller.Check(Caller.Call(_manager, id => new ManagerProtocol.Lookup(id, name), "Manager.Get"), $"manager process {Pid}");
        var path = Encoding.UTF8.GetString(((Data)reply).Value);
        return Internal.Serialization.ValueCodec.Deserialize<T>(MessagePackSerializer.Serialize(path));
    }

    internal static (string Host, int Port) ParseAddress(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new ArgumentException($"'{address}' is not a host:port address, e.g. 127.0.0.1:5000.", nameof(address));
        }

        return (address[..colon], port);
    }

    internal static byte[] CheckKey(byte[] authkey)
    {
        ArgumentNullException.ThrowIfNull(authkey);
        return authkey.Length >= 16
            ? authkey
            : throw new ArgumentException("An authkey must be at least 16 bytes; use RandomNumberGenerator.GetBytes(32).", nameof(authkey));
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

    /// <summary>A queue in the manager (M-49): exact size, timeouts and per-client order as <see cref="Queue{T}"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="maxsize">The capacity; 0 or less means unbounded.</param>
    /// <returns>Its proxy.</returns>
    public Queue<T> Queue<T>(int maxsize = 0) => Create<Queue<T>>(ContainerKinds.Queue, [MessagePackSerializer.Serialize(maxsize)]);

    /// <summary>A joinable queue in the manager (M-49).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="maxsize">The capacity; 0 or less means unbounded.</param>
    /// <returns>Its proxy.</returns>
    public JoinableQueue<T> JoinableQueue<T>(int maxsize = 0) =>
        Create<JoinableQueue<T>>(ContainerKinds.JoinableQueue, [MessagePackSerializer.Serialize(maxsize)]);

    /// <summary>An event in the manager (M-47).</summary>
    /// <returns>Its proxy.</returns>
    public Event Event() => Create<Event>(ContainerKinds.Event, []);

    /// <summary>A condition with its own reentrant lock in the manager (M-46).</summary>
    /// <returns>Its proxy.</returns>
    public Condition Condition() => Create<Condition>(ContainerKinds.Condition, []);

    /// <summary>A barrier in the manager (M-48).</summary>
    /// <param name="parties">How many parties each generation needs; at least 1.</param>
    /// <param name="action">Run once per generation by the last party to arrive (a static method or capture-free lambda).</param>
    /// <param name="timeout">The default timeout of <c>Wait</c>; <see langword="null"/> waits forever.</param>
    /// <returns>Its proxy.</returns>
    public Barrier Barrier(int parties, Delegate? action = null, TimeSpan? timeout = null)
    {
        if (parties < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parties), parties, "A barrier needs at least one party (B-01).");
        }

        List<byte[]> args =
        [
            MessagePackSerializer.Serialize(parties),
            MessagePackSerializer.Serialize(timeout is null ? -1L : SharedObjects.TimeoutMs(true, timeout)),
        ];
        if (action is not null)
        {
            args.Add(MessagePackSerializer.Serialize(
                Internal.Functions.DelegateCall.Describe(action, [], nameof(action)).Spec, ManagerBarrier.SpecOptions));
        }

        return Create<Barrier>(ContainerKinds.Barrier, [.. args]);
    }

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

        // Writes of this process that were sent without waiting reach the manager before it stops (or raise here).
        try
        {
            await Caller.DrainWritesAsync().ConfigureAwait(false);
        }
        catch (RemoteObjectUnavailableException)
        {
            // The manager (or another object's process) is already gone: shutting down must still succeed.
        }

        if (_process is null)
        {
            // A client of a manager started elsewhere only detaches (M-05: shutdown belongs to the starter).
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

        // Each initial value was checked when it was encoded; together they may still be too large for one message.
        Internal.Serialization.MessageLimit.Check(
            args.Sum(a => (long)a.Length), $"The initial contents of the manager's {kind}", "Create it smaller, then add the rest in several calls.");
        var reply = Caller.Check(
            Caller.Call(_manager, id => new ManagerProtocol.CreateObject(id, kind, args), $"Manager.{kind}"),
            $"manager process {Pid}");
        var path = Encoding.UTF8.GetString(((Data)reply).Value);
        return ((ExtendedActorSystem)MultiprocessingRuntime.System).Provider.ResolveActorRef(path);
    }
}
