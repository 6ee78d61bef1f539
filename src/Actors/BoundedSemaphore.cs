using Akka.Actor;
using Multiprocessing.Internal.Locks;
using Multiprocessing.Internal.Sharing;

namespace Multiprocessing;

/// <summary>A semaphore that may not be released above its starting value (Python's <c>multiprocessing.BoundedSemaphore</c>, BS-01).</summary>
public sealed class BoundedSemaphore : SharedLock, ISharedObject<BoundedSemaphore>
{
    /// <summary>Creates a bounded semaphore.</summary>
    /// <param name="value">The starting and largest value (Python's default is 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public BoundedSemaphore(int value = 1)
        : this(SharedObjects.Create(SemaphoreActor.Props(Semaphore.CheckValue(value), value, isLock: false), "bounded-semaphore"))
    {
    }

    private BoundedSemaphore(IActorRef actor)
        : base(actor, ownedByThread: false)
    {
    }

    /// <summary>The current value (Python's <c>get_value()</c>).</summary>
    /// <returns>The value.</returns>
    public long GetValue() => Value();

    static BoundedSemaphore ISharedObject<BoundedSemaphore>.Attach(IActorRef actor) => new(actor);
}
