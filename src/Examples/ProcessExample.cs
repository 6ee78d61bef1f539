using mp = Multiprocessing;

namespace Multiprocessing.Examples;

/// <summary>
/// The seed's Process example, rewritten: three worker processes take numbers from a shared Queue, store each
/// number's factorial digits count in a Manager dict, and print through one RLock so their lines never interleave.
/// The parent waits for them and checks every result. Ends with "OK process".
/// </summary>
public static class ProcessExample
{
    private const int Stop = -1;

    public static void Work(mp.Queue<int> jobs, mp.DictProxy<int, int> results, mp.RLock console)
    {
        while (true)
        {
            var n = jobs.Get(timeout: TimeSpan.FromSeconds(60));
            if (n == Stop)
            {
                return;
            }

            results[n] = FactorialDigits(n);
            using (console.Hold())
            {
                Console.WriteLine($"  {mp.Process.Current.Name} (pid {Environment.ProcessId}): {n}! has {results[n]} digits");
            }
        }
    }

    public static int FactorialDigits(int n)
    {
        var value = System.Numerics.BigInteger.One;
        for (var i = 2; i <= n; i++)
        {
            value *= i;
        }

        return value.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
    }

    public static int Run()
    {
        using var manager = mp.Manager.Start();
        var results = manager.Dict<int, int>();
        var jobs = new mp.Queue<int>();
        var console = new mp.RLock();
        var numbers = Enumerable.Range(1, 30).Select(i => i * 25).ToList();

        var workers = Enumerable.Range(1, 3)
            .Select(i => new mp.Process(Work, [jobs, results, console], name: $"worker-{i}"))
            .ToList();
        workers.ForEach(w => w.Start());
        foreach (var n in numbers)
        {
            jobs.Put(n);
        }

        workers.ForEach(_ => jobs.Put(Stop));
        foreach (var worker in workers)
        {
            worker.Join(TimeSpan.FromSeconds(120));
            Console.WriteLine($"{worker.Name} exit code {worker.ExitCode}");
        }

        var failures = new List<string>();
        failures.AddRange(workers.Where(w => w.ExitCode != 0).Select(w => $"{w.Name} exited with {w.ExitCode?.ToString() ?? "nothing"}: {w.Exception?.Message}"));
        failures.AddRange(numbers.Where(n => results.Get(n, -1) != FactorialDigits(n)).Select(n => $"wrong or missing result for {n}"));
        if (failures.Count > 0)
        {
            Console.WriteLine($"FAILED process: {string.Join("; ", failures)}");
            return 1;
        }

        Console.WriteLine($"{results.Count} results, all correct");
        Console.WriteLine("OK process");
        return 0;
    }
}
