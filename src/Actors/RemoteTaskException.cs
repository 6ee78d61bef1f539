namespace Multiprocessing;

/// <summary>
/// A failure in another process whose exception type cannot be rebuilt here (it has no usable constructor or its
/// assembly is not loaded). Carries the remote type name, message and stack text.
/// </summary>
public sealed class RemoteTaskException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="remoteType">Full name of the exception type raised remotely.</param>
    /// <param name="message">The remote exception's message.</param>
    /// <param name="remoteStackTrace">The remote exception's full text, with its stack trace.</param>
    public RemoteTaskException(string remoteType, string message, string remoteStackTrace)
        : base($"{remoteType}: {message}")
    {
        RemoteType = remoteType;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>Full name of the exception type raised in the other process.</summary>
    public string RemoteType { get; }

    /// <summary>The remote exception as text (type, message, stack trace), like Python's <c>RemoteTraceback</c>.</summary>
    public string RemoteStackTrace { get; }
}
