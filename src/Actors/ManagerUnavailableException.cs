namespace Multiprocessing;

/// <summary>
/// A call on a manager's shared object failed because the manager process died, was shut down or became
/// unreachable (Python raises BrokenPipeError, EOFError or ConnectionRefusedError here, M-06, M-08). Raised within
/// about two seconds; never a hang.
/// </summary>
public sealed class ManagerUnavailableException : RemoteObjectUnavailableException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which call failed and why.</param>
    public ManagerUnavailableException(string message)
        : base(message)
    {
    }
}
