namespace Multiprocessing;

/// <summary>
/// A call on a shared object (queue, lock, event, manager proxy...) failed because the process that holds the
/// object died or became unreachable. Raised within about two seconds of the death; never a hang.
/// </summary>
public class RemoteObjectUnavailableException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which call failed and which process is gone.</param>
    public RemoteObjectUnavailableException(string message)
        : base(message)
    {
    }
}
