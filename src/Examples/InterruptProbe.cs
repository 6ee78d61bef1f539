using System.Globalization;

namespace Multiprocessing.Examples;

/// <summary>
/// An internal check of Ctrl+C handling (pain point 18), run by the tests: <c>interrupt-probe [map|imap|get|join] [--hold]</c>.
/// It starts two workers, prints their pids and "READY", then blocks on long tasks in <c>Map</c>, an <c>Imap</c>
/// loop, <c>AsyncResult.Get</c> or <c>Join</c> after <c>Close</c>. Ctrl+C (SIGINT) must end that wait with one
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
            var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "map";
            try
            {
                var slow = Enumerable.Repeat(600_000, 8);
                switch (mode)
                {
                    case "imap":
                        foreach (var pid in pool.Imap(SleepThenPid, slow))
                        {
                            Console.WriteLine($"result from {pid}");
                        }

                        break;
                    case "get":
                        pool.ApplyAsync(SleepThenPid, 600_000).Get();
                        break;
                    case "join":
                        _ = pool.MapAsync(SleepThenPid, slow, chunksize: 1);
                        pool.Close();
                        pool.Join();
                        break;
                    default:
                        pool.Map(SleepThenPid, slow, chunksize: 1);
                        break;
                }

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
