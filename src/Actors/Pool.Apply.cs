using MessagePack;
using Multiprocessing.Internal.Functions;

namespace Multiprocessing;

// Apply and ApplyAsync for functions of 0 to 4 arguments, with and without a result (P-20 to P-26).
public sealed partial class Pool
{
    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <returns>The function's result; its exception is re-raised with the same type.</returns>
    public TResult Apply<TResult>(Func<TResult> func) =>
        SubmitApply<Nil, TResult>(func, ArgsShape.None, Nil.Default, null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready (P-22 to P-24).</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result.</returns>
    public AsyncResult<TResult> ApplyAsync<TResult>(
        Func<TResult> func, Action<TResult>? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<Nil, TResult>(func, ArgsShape.None, Nil.Default, callback, errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for it to finish (P-20).</summary>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    public void Apply(Action func) =>
        SubmitApply<Nil, Nil>(func, ArgsShape.None, Nil.Default, null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending completion (P-21).</summary>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="callback">Runs on the pool's result thread on success, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending completion.</returns>
    public AsyncResult ApplyAsync(
        Action func, Action? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<Nil, Nil>(func, ArgsShape.None, Nil.Default, callback is null ? null : _ => callback(), errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <returns>The function's result; its exception is re-raised with the same type.</returns>
    public TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1) =>
        SubmitApply<T1, TResult>(func, ArgsShape.Single, arg1, null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready (P-22 to P-24).</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result.</returns>
    public AsyncResult<TResult> ApplyAsync<T1, TResult>(
        Func<T1, TResult> func, T1 arg1, Action<TResult>? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<T1, TResult>(func, ArgsShape.Single, arg1, callback, errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for it to finish (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    public void Apply<T1>(Action<T1> func, T1 arg1) =>
        SubmitApply<T1, Nil>(func, ArgsShape.Single, arg1, null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending completion (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="callback">Runs on the pool's result thread on success, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending completion.</returns>
    public AsyncResult ApplyAsync<T1>(
        Action<T1> func, T1 arg1, Action? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<T1, Nil>(func, ArgsShape.Single, arg1, callback is null ? null : _ => callback(), errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <returns>The function's result; its exception is re-raised with the same type.</returns>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2) =>
        SubmitApply<(T1, T2), TResult>(func, ArgsShape.Tuple, (arg1, arg2), null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready (P-22 to P-24).</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result.</returns>
    public AsyncResult<TResult> ApplyAsync<T1, T2, TResult>(
        Func<T1, T2, TResult> func, T1 arg1, T2 arg2, Action<TResult>? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<(T1, T2), TResult>(func, ArgsShape.Tuple, (arg1, arg2), callback, errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for it to finish (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    public void Apply<T1, T2>(Action<T1, T2> func, T1 arg1, T2 arg2) =>
        SubmitApply<(T1, T2), Nil>(func, ArgsShape.Tuple, (arg1, arg2), null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending completion (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="callback">Runs on the pool's result thread on success, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending completion.</returns>
    public AsyncResult ApplyAsync<T1, T2>(
        Action<T1, T2> func, T1 arg1, T2 arg2, Action? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<(T1, T2), Nil>(func, ArgsShape.Tuple, (arg1, arg2), callback is null ? null : _ => callback(), errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    /// <returns>The function's result; its exception is re-raised with the same type.</returns>
    public TResult Apply<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> func, T1 arg1, T2 arg2, T3 arg3) =>
        SubmitApply<(T1, T2, T3), TResult>(func, ArgsShape.Tuple, (arg1, arg2, arg3), null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready (P-22 to P-24).</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result.</returns>
    public AsyncResult<TResult> ApplyAsync<T1, T2, T3, TResult>(
        Func<T1, T2, T3, TResult> func, T1 arg1, T2 arg2, T3 arg3, Action<TResult>? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<(T1, T2, T3), TResult>(func, ArgsShape.Tuple, (arg1, arg2, arg3), callback, errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for it to finish (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    public void Apply<T1, T2, T3>(Action<T1, T2, T3> func, T1 arg1, T2 arg2, T3 arg3) =>
        SubmitApply<(T1, T2, T3), Nil>(func, ArgsShape.Tuple, (arg1, arg2, arg3), null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending completion (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    /// <param name="callback">Runs on the pool's result thread on success, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending completion.</returns>
    public AsyncResult ApplyAsync<T1, T2, T3>(
        Action<T1, T2, T3> func, T1 arg1, T2 arg2, T3 arg3, Action? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<(T1, T2, T3), Nil>(func, ArgsShape.Tuple, (arg1, arg2, arg3), callback is null ? null : _ => callback(), errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <typeparam name="T4">Type of the fourth argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    /// <param name="arg4">The fourth argument.</param>
    /// <returns>The function's result; its exception is re-raised with the same type.</returns>
    public TResult Apply<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, TResult> func, T1 arg1, T2 arg2, T3 arg3, T4 arg4) =>
        SubmitApply<(T1, T2, T3, T4), TResult>(func, ArgsShape.Tuple, (arg1, arg2, arg3, arg4), null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending result (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <typeparam name="T4">Type of the fourth argument.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    /// <param name="arg4">The fourth argument.</param>
    /// <param name="callback">Runs on the pool's result thread with the value, before the result is ready (P-22 to P-24).</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending result.</returns>
    public AsyncResult<TResult> ApplyAsync<T1, T2, T3, T4, TResult>(
        Func<T1, T2, T3, T4, TResult> func, T1 arg1, T2 arg2, T3 arg3, T4 arg4, Action<TResult>? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<(T1, T2, T3, T4), TResult>(func, ArgsShape.Tuple, (arg1, arg2, arg3, arg4), callback, errorCallback);

    /// <summary>Runs <paramref name="func"/> in a worker and waits for it to finish (P-20).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <typeparam name="T4">Type of the fourth argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    /// <param name="arg4">The fourth argument.</param>
    public void Apply<T1, T2, T3, T4>(Action<T1, T2, T3, T4> func, T1 arg1, T2 arg2, T3 arg3, T4 arg4) =>
        SubmitApply<(T1, T2, T3, T4), Nil>(func, ArgsShape.Tuple, (arg1, arg2, arg3, arg4), null, null).Get();

    /// <summary>Runs <paramref name="func"/> in a worker and returns at once with its pending completion (P-21).</summary>
    /// <typeparam name="T1">Type of the first argument.</typeparam>
    /// <typeparam name="T2">Type of the second argument.</typeparam>
    /// <typeparam name="T3">Type of the third argument.</typeparam>
    /// <typeparam name="T4">Type of the fourth argument.</typeparam>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="arg1">The first argument.</param>
    /// <param name="arg2">The second argument.</param>
    /// <param name="arg3">The third argument.</param>
    /// <param name="arg4">The fourth argument.</param>
    /// <param name="callback">Runs on the pool's result thread on success, before the result is ready.</param>
    /// <param name="errorCallback">Runs on the pool's result thread with the exception, before the result is ready.</param>
    /// <returns>The pending completion.</returns>
    public AsyncResult ApplyAsync<T1, T2, T3, T4>(
        Action<T1, T2, T3, T4> func, T1 arg1, T2 arg2, T3 arg3, T4 arg4, Action? callback = null, Action<Exception>? errorCallback = null) =>
        SubmitApply<(T1, T2, T3, T4), Nil>(func, ArgsShape.Tuple, (arg1, arg2, arg3, arg4), callback is null ? null : _ => callback(), errorCallback);
}
