using mp = Multiprocessing;

public static class QuickStart
{
    public static int Square(int x) => x * x;

    public static void Main()
    {
        using var pool = new mp.Pool(processes: 4);
        var squares = pool.Map(Square, Enumerable.Range(0, 100));   // runs in 4 worker processes
        Console.WriteLine(string.Join(", ", squares));
    }
}
