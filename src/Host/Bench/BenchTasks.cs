namespace Multiprocessing.Host.Bench;

/// <summary>
/// The functions the benchmark runs in pool workers and <see cref="Process"/> children: the counterparts of
/// py_baseline.py's <c>identity</c>, <c>square</c>, <c>noop</c>, <c>burn</c>, <c>dict_writer</c>, <c>lock_user</c>
/// and <c>producer</c>. They are public static methods of mp.dll, which every worker started by <c>mp</c> loads.
/// </summary>
public static class BenchTasks
{
    /// <summary>What <see cref="Producer"/> puts last (Python puts <c>None</c>).</summary>
    public const int EndOfItems = -1;

    public static long Identity(long x) => x;

    public static long Square(long x) => x * x;

    public static void Noop()
    {
    }

    public static int WorkerPid() => Environment.ProcessId;

    /// <summary>CPU-bound busy work: the same loop as Python's <c>burn</c>.</summary>
    public static long Burn(long n)
    {
        long sum = 0;
        for (long i = 0; i < n; i++)
        {
            sum += i * i % 7;
        }

        return sum;
    }

    public static void DictWriter(DictProxy<int, int> shared, int first, int count)
    {
        for (var i = 0; i < count; i++)
        {
            shared[first + i] = i;
        }
    }

    public static void LockUser(RLock rlock, int count)
    {
        for (var i = 0; i < count; i++)
        {
            rlock.Acquire();
            rlock.Release();
        }
    }

    public static void Producer(Multiprocessing.Queue<int> queue, int count)
    {
        for (var i = 0; i < count; i++)
        {
            queue.Put(i);
        }

        queue.Put(EndOfItems);
    }
}
