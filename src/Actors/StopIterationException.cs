namespace Multiprocessing;

/// <summary>Raised by <see cref="ResultIterator{T}.Next(TimeSpan?)"/> when every result was consumed (Python's <c>StopIteration</c>).</summary>
public sealed class StopIterationException : MultiprocessingException
{
    /// <summary>Creates the exception.</summary>
    public StopIterationException()
        : base("The iterator has no more results.")
    {
    }
}
