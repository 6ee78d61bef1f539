using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>
/// A counting semaphore shared by processes (Python's <c>multiprocessing.Semaphore</c>): release may raise the value
/// above its start (S-02). Use <c>mp.Semaphore</c>: <c>System.Threading.Semaphore</c> has the same name.
/// </summary>
public sealed class Semaphore : SharedLock, ISharedObject<Semaphore>
{
    /// <summary>Creates a semaphore.</summary>
    /// <param name="value">The starting value (Python's default is 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative (S-03).</exception>
    public Semaphore(int value = 1)
        : this(SharedObjects.Create(SemaphoreActor.Props(CheckValue(value), null, isLock: false), "semaphore"))
    {
    }

    private Semaphore(IActorRef actor)
        : base(actor, ownedByThread: false)
    {
    }

    /// <summary>The current value (Python's <c>get_value()</c>).</summary>
    /// <returns>The value.</returns>
    public long GetValue() => Value();

    static Semaphore ISharedObject<Semaphore>.Attach(IActorRef actor) => new(actor);

    internal static int CheckValue(int value) => value >= 0
        ? value
        : throw new ArgumentOutOfRangeException(nameof(value), value, "A semaphore's value must be zero or more (S-03).");
}
