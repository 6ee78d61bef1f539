namespace Multiprocessing;

/// <summary>
/// How far a <see cref="Pool.Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?, IProgress{PoolProgress}?)"/>,
/// <c>StarMap</c>, <c>Imap</c> or <c>ImapUnordered</c> call has come. Reported on the pool's result thread once per
/// finished chunk, in order, so <see cref="Completed"/> never goes down. The handler should be quick (callbacks share
/// that thread); an exception from it is ignored. <see cref="Progress{T}"/> re-posts each report to the captured
/// synchronization context or the thread pool, where reports may run out of order: implement
/// <see cref="IProgress{T}"/> directly for strict order.
/// </summary>
/// <param name="Completed">Items whose chunk has finished, successfully or not.</param>
/// <param name="Total">
/// Items in the call; <see langword="null"/> while a lazy <c>Imap</c> input is still being read. Once known, the last
/// report has <c>Completed == Total</c>.
/// </param>
/// <param name="Failed">Items among <see cref="Completed"/> that have no result because their chunk raised.</param>
/// <param name="Elapsed">Time since the call was submitted.</param>
public readonly record struct PoolProgress(int Completed, int? Total, int Failed, TimeSpan Elapsed)
{
    /// <summary>Gets the share of <see cref="Total"/> completed, from 0 to 1; <see langword="null"/> while the total is unknown.</summary>
    public double? Fraction => Total is { } total ? (total == 0 ? 1.0 : (double)Completed / total) : null;
}
