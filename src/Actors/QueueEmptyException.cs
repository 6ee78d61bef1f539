namespace Multiprocessing;

/// <summary>
/// A get on a queue could not take an item: the queue was empty and the call could not wait (<c>block: false</c>,
/// a zero or negative timeout) or stayed empty for the whole timeout (Python's <c>queue.Empty</c>, Q-03). Not a
/// <see cref="TimeoutException"/>: a non-blocking get is not a timeout.
/// </summary>
public sealed class QueueEmptyException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">How the get ended.</param>
    public QueueEmptyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the exception that caused it.</summary>
    /// <param name="message">How the get ended.</param>
    /// <param name="innerException">The cause.</param>
    public QueueEmptyException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
