using System.Collections.Concurrent;
using System.Security.Authentication;
using System.Security.Cryptography;
using Akka.Actor;
using Multiprocessing.Internal.Management;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Internal.Sharing;

/// <summary>
/// The authkeys this process knows, by manager address, and the managers it has proven itself to. Before the first
/// call to an address with a key, the caller runs a mutual HMAC-SHA256 challenge–response with the manager (the key
/// itself never travels), as Python's <c>multiprocessing.connection</c> does. Children inherit the ring through
/// their stdin, never through the command line or the environment.
/// </summary>
internal static class KeyRing
{
    private static readonly ConcurrentDictionary<string, byte[]> Keys = new();
    private static readonly ConcurrentDictionary<string, Lazy<Task<int>>> Proven = new();

    public static void Add(Address address, byte[] key)
    {
        Keys[address.ToString()] = key;
        Proven.TryRemove(address.ToString(), out _);

        // A (new) manager at this address: an earlier process there that died must not fail calls to this one.
        Caller.AddressReused(address);
    }

    public static IReadOnlyDictionary<string, byte[]> Snapshot() => new Dictionary<string, byte[]>(Keys);

    public static void Load(IReadOnlyDictionary<string, byte[]>? keys)
    {
        foreach (var (address, key) in keys ?? new Dictionary<string, byte[]>())
        {
            Keys[address] = key;
        }
    }

    /// <summary>Completes once this process is authenticated to <paramref name="target"/>'s manager, if it has a key for it.</summary>
    public static Task EnsureAsync(IActorRef target)
    {
        var address = target.Path.Address;
        if (!address.HasGlobalScope || !Keys.ContainsKey(address.ToString()))
        {
            return Task.CompletedTask;
        }

        return ProveAsync(address);
    }

    /// <summary>Runs the handshake with the manager at <paramref name="address"/> once; returns the manager's pid.</summary>
    public static Task<int> ProveAsync(Address address)
    {
        var key = address.ToString();
        Lazy<Task<int>>? proof = null;
        proof = Proven.GetOrAdd(key, _ => new Lazy<Task<int>>(async () =>
        {
            try
            {
                return await HandshakeAsync(address).ConfigureAwait(false);
            }
            catch
            {
                // A failed handshake is tried again by the next call (new key, restarted manager).
                Proven.TryRemove(new KeyValuePair<string, Lazy<Task<int>>>(key, proof!));
                throw;
            }
        }));
        return proof.Value;
    }

    private static async Task<int> HandshakeAsync(Address address)
    {
        var key = Keys[address.ToString()];
        var manager = ManagerPath.Resolve(address);
        var challenge = Caller.Check(
            await Caller.SendAsync(manager, id => new ManagerProtocol.AuthHello(id), "Manager authentication", CancellationToken.None)
                .ConfigureAwait(false),
            $"manager at {address}");
        var serverNonce = ((Data)challenge).Value;
        var clientNonce = RandomNumberGenerator.GetBytes(32);
        var proof = Mac(key, serverNonce, "client");
        var welcome = await Caller.SendAsync(
                manager, id => new ManagerProtocol.AuthProve(id, proof, clientNonce), "Manager authentication", CancellationToken.None)
            .ConfigureAwait(false);
        if (welcome is Failed failed)
        {
            throw failed.Error.ToException($"manager at {address}");
        }

        var answer = (ManagerProtocol.AuthWelcome)welcome;
        if (!CryptographicOperations.FixedTimeEquals(answer.Proof, Mac(key, clientNonce, "server")))
        {
            throw new AuthenticationException($"The manager at {address} could not prove it knows the authkey; refusing to use it.");
        }

        return answer.Pid;
    }

    /// <summary>HMAC-SHA256 of a nonce and the side's role, so a proof cannot be reflected back.</summary>
    public static byte[] Mac(byte[] key, byte[] nonce, string role) =>
        HMACSHA256.HashData(key, nonce.Concat(System.Text.Encoding.ASCII.GetBytes(role)).ToArray());
}

/// <summary>Where a manager's root actor lives at an address.</summary>
internal static class ManagerPath
{
    public const string Name = "manager";

    public static IActorRef Resolve(Address address) =>
        ((ExtendedActorSystem)Runtime.MultiprocessingRuntime.System).Provider.ResolveActorRef($"{address}/user/{Name}");
}
