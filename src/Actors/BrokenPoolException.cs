namespace Multiprocessing;

/// <summary>
/// The pool cannot run tasks any more: its initializer raised (the inner exception is the initializer's), or
/// worker processes kept failing to start. Every pending and later submission fails with this exception.
/// </summary>
public sealed class BrokenPoolException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the pool is broken.</param>
    /// <param name="innerException">The cause, such as the initializer's exception.</param>
    public BrokenPoolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
