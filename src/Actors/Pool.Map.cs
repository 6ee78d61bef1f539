using Multiprocessing.Internal.Functions;

namespace Multiprocessing;

// Map, StarMap, Imap and ImapUnordered (P-30 to P-48).
public sealed partial class Pool
{
    /// <summary>Applies <paramref name="func"/> to every item in worker processes; results in input order (P-30).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The input; read in full before anything runs (P-31).</param>
    /// <param name="chunksize">Items per task; default <c>ceil(n / (4 * Processes))</c> (P-32).</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The results in input order. If any task raised, the first failure to arrive is raised once all finished (P-34, P-35).</returns>
    public IReadOnlyList<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunksize = null, IProgress<PoolProgress>? progress = null) =>
        SubmitMap<T, TResult>(func, ArgsShape.Single, items, chunksize, null, null, progress: progress).Get();

    /// <summary>Like <see cref="Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?, IProgress{PoolProgress})"/> but returns at once with the pending list (P-30).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The input; read in full before this returns (P-31).</param>
    /// <param name="chunksize">Items per task; default <c>ceil(n / (4 * Processes))</c> (P-32).</param>
    /// <param name="callback">Runs on the pool's result thread with the whole list.</param>
    /// <param name="errorCallback">Runs once, with the first failure (P-35).</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The pending list.</returns>
    public AsyncResult<IReadOnlyList<TResult>> MapAsync<T, TResult>(
        Func<T, TResult> func,
        IEnumerable<T> items,
        int? chunksize = null,
        Action<IReadOnlyList<TResult>>? callback = null,
        Action<Exception>? errorCallback = null,
        IProgress<PoolProgress>? progress = null) =>
        SubmitMap<T, TResult>(func, ArgsShape.Single, items, chunksize, callback, errorCallback, progress: progress);

    /// <summary>Like <see cref="Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?, IProgress{PoolProgress})"/>, lazily: results in input order as they become ready (P-40).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The input, read lazily with a bounded window (P-47 target).</param>
    /// <param name="chunksize">Items per task (P-44: at least 1).</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The results, for <c>foreach</c>, <c>await foreach</c> or <c>Next(timeout)</c>.</returns>
    public ResultIterator<TResult> Imap<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunksize = 1, IProgress<PoolProgress>? progress = null) =>
        SubmitImap<T, TResult>(func, ArgsShape.Single, items, chunksize, ordered: true, progress: progress);

    /// <summary>Like <see cref="Imap{T, TResult}(Func{T, TResult}, IEnumerable{T}, int, IProgress{PoolProgress})"/> but yields results in completion order (P-41).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The input, read lazily with a bounded window.</param>
    /// <param name="chunksize">Items per task (P-44: at least 1).</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The results in completion order.</returns>
    public ResultIterator<TResult> ImapUnordered<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunksize = 1, IProgress<PoolProgress>? progress = null) =>
        SubmitImap<T, TResult>(func, ArgsShape.Single, items, chunksize, ordered: false, progress: progress);

    /// <summary>Calls <paramref name="func"/> with each tuple's elements as arguments; results in input order (P-36).</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="T2">Type of argument 2.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The argument tuples; read in full first.</param>
    /// <param name="chunksize">Tuples per task; default <c>ceil(n / (4 * Processes))</c>.</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The results in input order.</returns>
    public IReadOnlyList<TResult> StarMap<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunksize = null, IProgress<PoolProgress>? progress = null) =>
        SubmitMap<(T1, T2), TResult>(func, ArgsShape.Tuple, items, chunksize, null, null, progress: progress).Get();

    /// <summary>Like <see cref="StarMap{T1, T2, TResult}"/> but returns at once with the pending list.</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="T2">Type of argument 2.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The argument tuples; read in full before this returns.</param>
    /// <param name="chunksize">Tuples per task; default <c>ceil(n / (4 * Processes))</c>.</param>
    /// <param name="callback">Runs on the pool's result thread with the whole list.</param>
    /// <param name="errorCallback">Runs once, with the first failure.</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The pending list.</returns>
    public AsyncResult<IReadOnlyList<TResult>> StarMapAsync<T1, T2, TResult>(
        Func<T1, T2, TResult> func,
        IEnumerable<(T1, T2)> items,
        int? chunksize = null,
        Action<IReadOnlyList<TResult>>? callback = null,
        Action<Exception>? errorCallback = null,
        IProgress<PoolProgress>? progress = null) =>
        SubmitMap<(T1, T2), TResult>(func, ArgsShape.Tuple, items, chunksize, callback, errorCallback, progress: progress);

    /// <summary>Calls <paramref name="func"/> with each tuple's elements as arguments; results in input order (P-36).</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="T2">Type of argument 2.</typeparam>
    /// <typeparam name="T3">Type of argument 3.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The argument tuples; read in full first.</param>
    /// <param name="chunksize">Tuples per task; default <c>ceil(n / (4 * Processes))</c>.</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The results in input order.</returns>
    public IReadOnlyList<TResult> StarMap<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> func, IEnumerable<(T1, T2, T3)> items, int? chunksize = null, IProgress<PoolProgress>? progress = null) =>
        SubmitMap<(T1, T2, T3), TResult>(func, ArgsShape.Tuple, items, chunksize, null, null, progress: progress).Get();

    /// <summary>Like <see cref="StarMap{T1, T2, T3, TResult}"/> but returns at once with the pending list.</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="T2">Type of argument 2.</typeparam>
    /// <typeparam name="T3">Type of argument 3.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The argument tuples; read in full before this returns.</param>
    /// <param name="chunksize">Tuples per task; default <c>ceil(n / (4 * Processes))</c>.</param>
    /// <param name="callback">Runs on the pool's result thread with the whole list.</param>
    /// <param name="errorCallback">Runs once, with the first failure.</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The pending list.</returns>
    public AsyncResult<IReadOnlyList<TResult>> StarMapAsync<T1, T2, T3, TResult>(
        Func<T1, T2, T3, TResult> func,
        IEnumerable<(T1, T2, T3)> items,
        int? chunksize = null,
        Action<IReadOnlyList<TResult>>? callback = null,
        Action<Exception>? errorCallback = null,
        IProgress<PoolProgress>? progress = null) =>
        SubmitMap<(T1, T2, T3), TResult>(func, ArgsShape.Tuple, items, chunksize, callback, errorCallback, progress: progress);

    /// <summary>Calls <paramref name="func"/> with each tuple's elements as arguments; results in input order (P-36).</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="T2">Type of argument 2.</typeparam>
    /// <typeparam name="T3">Type of argument 3.</typeparam>
    /// <typeparam name="T4">Type of argument 4.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The argument tuples; read in full first.</param>
    /// <param name="chunksize">Tuples per task; default <c>ceil(n / (4 * Processes))</c>.</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The results in input order.</returns>
    public IReadOnlyList<TResult> StarMap<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, TResult> func, IEnumerable<(T1, T2, T3, T4)> items, int? chunksize = null, IProgress<PoolProgress>? progress = null) =>
        SubmitMap<(T1, T2, T3, T4), TResult>(func, ArgsShape.Tuple, items, chunksize, null, null, progress: progress).Get();

    /// <summary>Like <see cref="StarMap{T1, T2, T3, T4, TResult}"/> but returns at once with the pending list.</summary>
    /// <typeparam name="T1">Type of argument 1.</typeparam>
    /// <typeparam name="T2">Type of argument 2.</typeparam>
    /// <typeparam name="T3">Type of argument 3.</typeparam>
    /// <typeparam name="T4">Type of argument 4.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The argument tuples; read in full before this returns.</param>
    /// <param name="chunksize">Tuples per task; default <c>ceil(n / (4 * Processes))</c>.</param>
    /// <param name="callback">Runs on the pool's result thread with the whole list.</param>
    /// <param name="errorCallback">Runs once, with the first failure.</param>
    /// <param name="progress">Told how many items have finished, once per finished chunk, on the pool's result thread (see <see cref="PoolProgress"/>).</param>
    /// <returns>The pending list.</returns>
    public AsyncResult<IReadOnlyList<TResult>> StarMapAsync<T1, T2, T3, T4, TResult>(
        Func<T1, T2, T3, T4, TResult> func,
        IEnumerable<(T1, T2, T3, T4)> items,
        int? chunksize = null,
        Action<IReadOnlyList<TResult>>? callback = null,
        Action<Exception>? errorCallback = null,
        IProgress<PoolProgress>? progress = null) =>
        SubmitMap<(T1, T2, T3, T4), TResult>(func, ArgsShape.Tuple, items, chunksize, callback, errorCallback, progress: progress);
}
