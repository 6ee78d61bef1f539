using System.Diagnostics;
using System.Globalization;
using mp = Multiprocessing;

namespace Multiprocessing.Examples;

/// <summary>
/// CPU-bound work spread over worker processes: counts the primes below a limit in slices with <c>Map</c>, checks
/// the total against a serial count, and prints the speed-up. Ends with "OK primes".
/// Usage: <c>primes [limit] [processes]</c>.
/// </summary>
public static class Primes
{
    public static int CountPrimes((long From, long To) range)
    {
        var count = 0;
        for (var n = Math.Max(2, range.From); n < range.To; n++)
        {
            var prime = true;
            for (long d = 2; d * d <= n; d++)
            {
                if (n % d == 0)
                {
                    prime = false;
                    break;
                }
            }

            if (prime)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>A slow task, so that every worker gets some even while the others are still starting.</summary>
    public static int WorkerPid(int _)
    {
        Thread.Sleep(250);
        return Environment.ProcessId;
    }

    public static int Run(string[] args)
    {
        var limit = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 3_000_000;
        var processes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        var slices = Enumerable.Range(0, 64).Select(i => (limit * i / 64, limit * (i + 1) / 64)).ToList();

        Console.WriteLine($"driver pid {Environment.ProcessId}");
        using var pool = new mp.Pool(processes);
        var pids = pool.Map(WorkerPid, Enumerable.Range(0, processes * 4), chunksize: 1).Distinct().Order();
        Console.WriteLine($"worker pids: {string.Join(", ", pids)}");

        var clock = Stopwatch.StartNew();
        var parallel = pool.Map(CountPrimes, slices, chunksize: 1).Sum();
        var parallelTime = clock.Elapsed;
        Console.WriteLine($"{parallel} primes below {limit} with {processes} worker processes in {parallelTime.TotalMilliseconds:0} ms");

        clock.Restart();
        var serial = slices.Sum(CountPrimes);
        var serialTime = clock.Elapsed;
        Console.WriteLine($"{serial} primes below {limit} in this process in {serialTime.TotalMilliseconds:0} ms");
        Console.WriteLine($"speed-up {serialTime / parallelTime:0.00}x");

        pool.Close();
        pool.Join();
        if (parallel != serial)
        {
            Console.WriteLine("FAILED primes: the parallel and serial counts differ");
            return 1;
        }

        Console.WriteLine("OK primes");
        return 0;
    }
}
