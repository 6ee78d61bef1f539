namespace Multiprocessing;

/// <summary>
/// A result was not ready in time (Python's <c>multiprocessing.TimeoutError</c>, raised by <c>AsyncResult.get(timeout)</c>
/// and <c>IMapIterator.next(timeout)</c>). The work keeps running; a later call can still succeed.
/// </summary>
public sealed class MultiprocessingTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What timed out.</param>
    public MultiprocessingTimeoutException(string message)
        : base(message)
    {
    }
}
