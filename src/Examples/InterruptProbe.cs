using System.Globalization;

namespace Multiprocessing.Examples;

/// <summary>
/// An internal check of Ctrl+C handling (pain point 18), run by the tests: starts two workers, prints their pids and
/// "READY", then blocks in <c>Map</c> on long tasks. Ctrl+C (SIGINT) must end that Map with one
/// <see cref="OperationCanceledException"/> ("CANCELLED 1"), stop the workers, and let the program end with 0.
/// A new pool then runs a task ("AFTER 49"). With <c>--hold</c> it then waits (printing "HOLDING") so a second Ctrl+C can end it at once.
/// </summary>
public static class InterruptProbe
{
    public static int SleepThenPid(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return Environment.ProcessId;
    }

    public static int Square(int x) => x * x;

    public static int Run(string[] args)
    {
        var cancelled = 0;
        using (var pool = new Pool(2))
        {
            var pids = new HashSet<int>();
            for (var attempt = 0; attempt < 20 && pids.Count < 2; attempt++)
            {
                pids.UnionWith(pool.Map(SleepThenPid, [200, 200], chunksize: 1));
            }

            Console.WriteLine($"worker pids: {string.Join(", ", pids.Order())}");
            Console.WriteLine("READY");
            try
            {
                pool.Map(SleepThenPid, Enumerable.Repeat(600_000, 8), chunksize: 1);
                Console.WriteLine("NOT CANCELLED");
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CANCELLED {cancelled}"));

        // A pool started after the interrupt works as usual.
        using (var after = new Pool(1))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AFTER {after.Apply(Square, 7)}"));
        }
        if (args.Contains("--hold"))
        {
            Console.WriteLine("HOLDING");
            Thread.Sleep(TimeSpan.FromMinutes(2));
        }

        Console.WriteLine("OK interrupt-probe");
        return 0;
    }
}
