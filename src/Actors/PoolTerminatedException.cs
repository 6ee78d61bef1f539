namespace Multiprocessing;

/// <summary>
/// The pool was terminated before the task finished. Python leaves such results pending forever; here every
/// pending result fails with this exception.
/// </summary>
public sealed class PoolTerminatedException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was cut short.</param>
    public PoolTerminatedException(string message)
        : base(message)
    {
    }
}
