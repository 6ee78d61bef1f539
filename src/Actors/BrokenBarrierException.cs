namespace Multiprocessing;

/// <summary>
/// A <see cref="Barrier"/> wait failed because the barrier is or became broken (Python's
/// <c>threading.BrokenBarrierError</c>): a party's wait timed out (B-03), the barrier was broken before the wait
/// (B-04), aborted (B-05) or reset (B-06) while waiting, its action failed in another party (B-07), or a waiting
/// party's process died.
/// </summary>
public sealed class BrokenBarrierException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the barrier is broken.</param>
    public BrokenBarrierException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">Why the barrier is broken.</param>
    /// <param name="innerException">The cause.</param>
    public BrokenBarrierException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
