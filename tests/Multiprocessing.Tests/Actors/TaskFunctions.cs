using System.Runtime.CompilerServices;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// Task functions the pool tests send to worker processes: public static methods, found there by name. They run in
/// the workers, so their static state (set by an initializer) is per worker process.
/// </summary>
public static class TaskFunctions
{
    private static int _initValue;
    private static int _initRuns;

    public static int Square(int x) => x * x;

    public static int Add(int a, int b) => a + b;

    public static int Add3(int a, int b, int c) => a + b + c;

    public static int Pid() => Environment.ProcessId;

    public static (int X, int Pid) SquareWithPid(int x) => (x * x, Environment.ProcessId);

    public static int SleepThenPid(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return Environment.ProcessId;
    }

    public static int SleepThenEcho(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return milliseconds;
    }

    public static void Sleep(int milliseconds) => Thread.Sleep(milliseconds);

    /// <summary>
    /// Writes this worker's pid to <paramref name="path"/> (atomically) and returns it; the first run (no file yet)
    /// sleeps <paramref name="milliseconds"/> first, so a test can kill the worker while it is busy.
    /// </summary>
    public static int WritePidThenSleepFirstTime(string path, int milliseconds)
    {
        var rerun = File.Exists(path);
        var temp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temp, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
        if (!rerun)
        {
            Thread.Sleep(milliseconds);
        }

        return Environment.ProcessId;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int RaiseInvalidOperation(string message) => throw new InvalidOperationException(message);

    public static int SquareUnlessThree(int x) => x == 3 ? throw new ArgumentException($"bad item {x}") : x * x;

    public static int FailOddItems(int x) => x % 2 == 1 ? throw new FormatException($"odd item {x}") : x;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int RaiseWithoutMessageConstructor(int code) => throw new CodeOnlyException(code);

    /// <summary>Ends the worker process the hard way, as Python's <c>sys.exit()</c> inside a task (P-76).</summary>
    public static int ExitProcess(int code)
    {
        Environment.Exit(code);
        return -1;
    }

    /// <summary>Writes a marker file named <paramref name="x"/> into <paramref name="directory"/>, but raises for item 1.</summary>
    public static int MarkUnlessOne(int x, string directory)
    {
        if (x == 1)
        {
            throw new InvalidDataException("item 1 fails");
        }

        File.WriteAllText(Path.Combine(directory, x.ToString(System.Globalization.CultureInfo.InvariantCulture)), "ran");
        return x;
    }

    public static FragileValue MakeFragile(int seed) => new() { Seed = seed };

    public static long StreamLength(Stream stream) => stream.Length;

    public static int PoolSize(Pool pool) => pool.Processes;

    /// <summary>Raises with a message of <paramref name="length"/> characters after <paramref name="milliseconds"/>.</summary>
    public static int SleepThenRaiseLarge(int milliseconds, int length)
    {
        Thread.Sleep(milliseconds);
        throw new InvalidOperationException(new string('x', length));
    }

    public static int ValueOf(FragileValue value) => value.Seed * 10;

    public static void InitWorker(int value)
    {
        _initValue = value;
        _initRuns++;
    }

    public static (int Value, int Runs, int Pid) ReadInit(int x) => (_initValue, _initRuns, Environment.ProcessId);

    public static void FailingInit() => throw new InvalidOperationException("initializer failed on purpose");
}

/// <summary>A value MessagePack can write only when <see cref="Seed"/> is not negative: otherwise reading <see cref="Checked"/> throws.</summary>
public sealed class FragileValue
{
    public int Seed { get; set; }

    public int Checked
    {
        get => Seed < 0 ? throw new InvalidOperationException($"seed {Seed} cannot be read") : Seed;
        set => Seed = value;
    }
}

/// <summary>An exception without a (string) or parameterless constructor, so it cannot be rebuilt in the caller (P-73).</summary>
public sealed class CodeOnlyException(int code) : Exception($"failed with code {code}")
{
    public int Code { get; } = code;
}
