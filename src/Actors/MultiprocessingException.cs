namespace Multiprocessing;

/// <summary>Base class of the errors this library raises itself (Python's <c>multiprocessing.ProcessError</c>).</summary>
public class MultiprocessingException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong and what to do about it.</param>
    public MultiprocessingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What went wrong and what to do about it.</param>
    /// <param name="innerException">The cause.</param>
    public MultiprocessingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
