namespace Multiprocessing;

/// <summary>
/// A put on a bounded queue could not add its item: the queue was full and the call could not wait
/// (<c>block: false</c>, a zero or negative timeout) or stayed full for the whole timeout (Python's <c>queue.Full</c>,
/// The item was not added. Not a <see cref="TimeoutException"/>: a non-blocking put is not a timeout.
/// </summary>
public sealed class QueueFullException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">How the put ended.</param>
    public QueueFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the exception that caused it.</summary>
    /// <param name="message">How the put ended.</param>
    /// <param name="innerException">The cause.</param>
    public QueueFullException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
