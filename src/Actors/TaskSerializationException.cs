namespace Multiprocessing;

/// <summary>
/// A task argument, item or result could not be serialized for another process (Python's pickling errors and
/// <c>MaybeEncodingError</c>). Raised at the call for arguments, as the task's outcome for results.
/// </summary>
public sealed class TaskSerializationException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which value failed and why.</param>
    public TaskSerializationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which value failed and why.</param>
    /// <param name="innerException">The serializer's error.</param>
    public TaskSerializationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
