using mp = Multiprocessing;

namespace Multiprocessing.Examples;

/// <summary>
/// The seed's Manager example in C#: a manager process holds a shared dict and list; a pool of worker processes
/// fills them; the parent prints what they hold. Also shows an atomic counter (no lock, no lost update). Checks
/// itself and ends with "OK manager".
/// </summary>
public static class ManagerExample
{
    public static int Record(mp.DictProxy<int, string> squares, mp.ListProxy<int> pids, mp.DictProxy<string, long> stats, int n)
    {
        squares[n] = $"{n}^2 = {n * n} (pid {Environment.ProcessId})";
        pids.Append(Environment.ProcessId);
        stats.Increment("tasks", 1);
        return n;
    }

    public static int Run()
    {
        using var manager = mp.Manager.Start();
        Console.WriteLine($"driver pid {Environment.ProcessId}, manager pid {manager.Pid}");
        var squares = manager.Dict<int, string>();
        var pids = manager.List<int>();
        var stats = manager.Dict<string, long>();

        using (var pool = new mp.Pool(processes: 2))
        {
            var done = pool.StarMap(Record, Enumerable.Range(0, 10).Select(n => (squares, pids, stats, n)), chunksize: 1);
            pool.Close();
            pool.Join();
            Console.WriteLine($"tasks returned: [{string.Join(", ", done)}]");
        }

        foreach (var (key, value) in squares.Items().OrderBy(p => p.Key))
        {
            Console.WriteLine($"  d[{key}] = {value}");
        }

        var workerPids = pids.Copy().Distinct().Order().ToList();
        Console.WriteLine($"list of worker pids: {pids}");
        Console.WriteLine($"tasks counted in the manager: {stats["tasks"]}");

        var ok = squares.Count == 10
            && Enumerable.Range(0, 10).All(n => squares[n].StartsWith($"{n}^2 = {n * n}", StringComparison.Ordinal))
            && pids.Count == 10
            && stats["tasks"] == 10
            && !workerPids.Contains(Environment.ProcessId)
            && !workerPids.Contains(manager.Pid);
        if (!ok)
        {
            Console.WriteLine("FAILED manager: the shared dict or list does not hold what the workers wrote");
            return 1;
        }

        Console.WriteLine("OK manager");
        return 0;
    }
}
