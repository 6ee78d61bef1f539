namespace Multiprocessing;

/// <summary>
/// <c>Pool.Connect</c> found no host at the address within <c>multiprocessing.cluster.attach-timeout</c>, or the
/// cluster has no worker nodes to run a pool on.
/// </summary>
public sealed class ClusterUnavailableException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was tried and what to do.</param>
    public ClusterUnavailableException(string message)
        : base(message)
    {
    }
}
