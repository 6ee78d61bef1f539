using MessagePack;
using Multiprocessing.Internal.Functions;

namespace Multiprocessing;

// Task functions that take a CancellationToken as their last parameter: the pool supplies the token (it is not an
// argument) and cancels it at the soft time limit. Only these overloads take per-call TaskLimits; the others use the
// pool's (PoolOptions.TaskTimeout, PoolOptions.TaskHardTimeout).
public sealed partial class Pool
{
    /// <summary>Runs a cancellable <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="TaskTimeoutException">The task passed its time limit (<see cref="PoolOptions.TaskTimeout"/>, <see cref="PoolOptions.TaskHardTimeout"/>).</exception>
    public TResult Apply<TResult>(Func<CancellationToken, TResult> func) =>
        SubmitApply<Nil, TResult>(func, ArgsShape.None, Nil.Default, null, null).Get();

    /// <summary>Runs a cancellable <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit.</param>
    /// <param name="limits">This call's time limits; unset ones take the pool's.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result; a task past its limit fails with <see cref="TaskTimeoutException"/>.</returns>
    public AsyncResult<TResult> ApplyAsync<TResult>(
        Func<CancellationToken, TResult> func,
        TaskLimits? limits = null,
        Action<TResult>? callback = null,
        Action<Exception>? errorCallback = null) =>
        SubmitApply<Nil, TResult>(func, ArgsShape.None, Nil.Default, callback, errorCallback, limits);

    /// <summary>Runs a cancellable <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit.</param>
    /// <param name="arg1">The first argument.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="TaskTimeoutException">The task passed its time limit.</exception>
    public TResult Apply<T1, TResult>(Func<T1, CancellationToken, TResult> func, T1 arg1) =>
        SubmitApply<T1, TResult>(func, ArgsShape.Single, arg1, null, null).Get();

    /// <summary>Runs a cancellable <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="limits">This call's time limits; unset ones take the pool's.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result; a task past its limit fails with <see cref="TaskTimeoutException"/>.</returns>
    public AsyncResult<TResult> ApplyAsync<T1, TResult>(
        Func<T1, CancellationToken, TResult> func,
        T1 arg1,
        TaskLimits? limits = null,
        Action<TResult>? callback = null,
        Action<Exception>? errorCallback = null) =>
        SubmitApply<T1, TResult>(func, ArgsShape.Single, arg1, callback, errorCallback, limits);

    /// <summary>Runs a cancellable <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <returns>The function's result.</returns>
    /// <exception cref="TaskTimeoutException">The task passed its time limit.</exception>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, CancellationToken, TResult> func, T1 arg1, T2 arg2) =>
        SubmitApply<(T1, T2), TResult>(func, ArgsShape.Tuple, (arg1, arg2), null, null).Get();

    /// <summary>Runs a cancellable <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="limits">This call's time limits; unset ones take the pool's.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result; a task past its limit fails with <see cref="TaskTimeoutException"/>.</returns>
    public AsyncResult<TResult> ApplyAsync<T1, T2, TResult>(
        Func<T1, T2, CancellationToken, TResult> func,
        T1 arg1,
        T2 arg2,
        TaskLimits? limits = null,
        Action<TResult>? callback = null,
        Action<Exception>? errorCallback = null) =>
        SubmitApply<(T1, T2), TResult>(func, ArgsShape.Tuple, (arg1, arg2), callback, errorCallback, limits);

    /// <summary>Applies a cancellable <paramref name="func"/> to every item; results in input order (P-30).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit of its chunk.</param>
    /// <param name="items">The input; read in full before anything runs (P-31).</param>
    /// <param name="chunksize">Items per task; the time limits apply to each chunk. Default <c>ceil(n / (4 * Processes))</c>.</param>
    /// <returns>The results in input order; a chunk past its limit raises <see cref="TaskTimeoutException"/> once all finished.</returns>
    public IReadOnlyList<TResult> Map<T, TResult>(Func<T, CancellationToken, TResult> func, IEnumerable<T> items, int? chunksize = null) =>
        SubmitMap<T, TResult>(func, ArgsShape.Single, items, chunksize, null, null).Get();

    /// <summary>Like <see cref="Map{T, TResult}(Func{T, CancellationToken, TResult}, IEnumerable{T}, int?)"/> but returns at once with the pending list.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit of its chunk.</param>
    /// <param name="items">The input; read in full before this returns (P-31).</param>
    /// <param name="chunksize">Items per task; the time limits apply to each chunk (pass 1 to limit every item).</param>
    /// <param name="limits">This call's time limits; unset ones take the pool's.</param>
    /// <param name="callback">Runs on the pool's result thread with the whole list.</param>
    /// <param name="errorCallback">Runs once, with the first failure (P-35).</param>
    /// <returns>The pending list.</returns>
    public AsyncResult<IReadOnlyList<TResult>> MapAsync<T, TResult>(
        Func<T, CancellationToken, TResult> func,
        IEnumerable<T> items,
        int? chunksize = null,
        TaskLimits? limits = null,
        Action<IReadOnlyList<TResult>>? callback = null,
        Action<Exception>? errorCallback = null) =>
        SubmitMap<T, TResult>(func, ArgsShape.Single, items, chunksize, callback, errorCallback, limits);

    /// <summary>Like <see cref="Imap{T, TResult}(Func{T, TResult}, IEnumerable{T}, int, IProgress{PoolProgress})"/> for a cancellable <paramref name="func"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit of its chunk.</param>
    /// <param name="items">The input, read lazily with a bounded window.</param>
    /// <param name="chunksize">Items per task; the time limits apply to each chunk.</param>
    /// <param name="limits">This call's time limits; unset ones take the pool's.</param>
    /// <returns>The results in input order.</returns>
    public ResultIterator<TResult> Imap<T, TResult>(
        Func<T, CancellationToken, TResult> func, IEnumerable<T> items, int chunksize = 1, TaskLimits? limits = null) =>
        SubmitImap<T, TResult>(func, ArgsShape.Single, items, chunksize, ordered: true, limits);

    /// <summary>Like <see cref="ImapUnordered{T, TResult}(Func{T, TResult}, IEnumerable{T}, int, IProgress{PoolProgress})"/> for a cancellable <paramref name="func"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing; its token is cancelled at the soft time limit of its chunk.</param>
    /// <param name="items">The input, read lazily with a bounded window.</param>
    /// <param name="chunksize">Items per task; the time limits apply to each chunk.</param>
    /// <param name="limits">This call's time limits; unset ones take the pool's.</param>
    /// <returns>The results in completion order.</returns>
    public ResultIterator<TResult> ImapUnordered<T, TResult>(
        Func<T, CancellationToken, TResult> func, IEnumerable<T> items, int chunksize = 1, TaskLimits? limits = null) =>
        SubmitImap<T, TResult>(func, ArgsShape.Single, items, chunksize, ordered: false, limits);
}
