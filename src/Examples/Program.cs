using Multiprocessing.Examples;

// dotnet run --project src/Examples -- <name>
var examples = new Dictionary<string, (string Purpose, Func<string[], int> Run)>(StringComparer.OrdinalIgnoreCase)
{
    ["quickstart"] = ("the README's first snippet: Map over 4 worker processes", _ => QuickStartExample.Run()),
    ["pool-methods"] = ("every method of Python's multiprocessing.Pool, on worker processes", _ => PoolMethods.Run()),
    ["manager"] = ("a Manager's shared dict and list filled by a pool of worker processes", _ => ManagerExample.Run()),
    ["process"] = ("Process workers sharing a Queue, a Manager dict and an RLock", _ => ProcessExample.Run()),
    ["cluster"] = ("an mp host and two mp worker nodes on this machine; a Map through Pool.Connect: cluster [--tls]", ClusterExample.Run),
    ["chaos"] = ("SIGKILLed workers, manager clients and queue consumers; every result checked: chaos [--short]", Chaos.Run),
    ["progress"] = ("a Spectre.Console progress bar over a long Imap, fed by the pool's progress reports", _ => ProgressExample.Run()),
    ["primes"] = ("CPU-bound Map over worker processes and its speed-up: primes [limit] [processes]", Primes.Run),
};

// Examples that "all" leaves out: add long-running or optional ones here. Every other registered example joins it.
var notInAll = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
examples["all"] = (
    "every other example in turn, each in its own process; prints each OK line, then OK all (all --short: chaos --short)",
    arguments => AllExamples.Run(
        examples.Keys.Where(name => name != "all" && !notInAll.Contains(name)).ToList(),
        arguments.Contains("--short") ? new Dictionary<string, string[]> { ["chaos"] = ["--short"] } : []));

// Internal checks the tests run; not listed in the usage text.
var checks = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["interrupt-probe"] = InterruptProbe.Run,
};

if (args.Length >= 1 && checks.TryGetValue(args[0], out var check))
{
    return check(args[1..]);
}

if (args.Length < 1 || !examples.TryGetValue(args[0], out var example))
{
    Console.Error.WriteLine("usage: dotnet run --project src/Examples -- <example>");
    foreach (var (name, (purpose, _)) in examples)
    {
        Console.Error.WriteLine($"  {name,-14} {purpose}");
    }

    return 2;
}

return example.Run(args[1..]);
