namespace Multiprocessing.Examples;

/// <summary>
/// Runs <see cref="QuickStart"/>, the README's first snippet (a test keeps the two equal), and checks what it printed.
/// Ends with "OK quickstart".
/// </summary>
public static class QuickStartExample
{
    public static int Run()
    {
        var console = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            QuickStart.Main();
        }
        finally
        {
            Console.SetOut(console);
        }

        var printed = captured.ToString().Trim();
        Console.WriteLine(printed);
        var expected = string.Join(", ", Enumerable.Range(0, 100).Select(x => x * x));
        if (printed != expected)
        {
            Console.WriteLine($"FAILED: expected {expected}");
            return 1;
        }

        Console.WriteLine("OK quickstart");
        return 0;
    }
}
