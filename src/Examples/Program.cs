using Multiprocessing.Examples;

// dotnet run --project src/Examples -- <name>
var examples = new Dictionary<string, (string Purpose, Func<int> Run)>(StringComparer.OrdinalIgnoreCase)
{
    ["pool-methods"] = ("every Pool method of Python's multiprocessing.Pool, on worker processes", PoolMethods.Run),
};

if (args.Length != 1 || !examples.TryGetValue(args[0], out var example))
{
    Console.Error.WriteLine("usage: dotnet run --project src/Examples -- <example>");
    foreach (var (name, (purpose, _)) in examples)
    {
        Console.Error.WriteLine($"  {name,-14} {purpose}");
    }

    return 2;
}

return example.Run();
