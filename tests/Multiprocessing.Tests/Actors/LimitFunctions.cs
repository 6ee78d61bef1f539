namespace Multiprocessing.Tests.Actors;

/// <summary>Task functions for the time-limit, memory and terminate tests; they run in worker processes.</summary>
public static class LimitFunctions
{
    private static readonly List<byte[]> Held = [];
    private static int _initialized;

    /// <summary>Waits <paramref name="milliseconds"/> unless cancelled first; then throws if cancelled.</summary>
    public static int WaitUnlessCancelled(int milliseconds, CancellationToken cancellationToken)
    {
        cancellationToken.WaitHandle.WaitOne(milliseconds);
        cancellationToken.ThrowIfCancellationRequested();
        return milliseconds;
    }

    /// <summary>Returns whether its token can be cancelled at all, and its worker's pid.</summary>
    public static (bool CanBeCanceled, int Pid) TokenInfo(CancellationToken cancellationToken) =>
        (cancellationToken.CanBeCanceled, Environment.ProcessId);

    /// <summary>An initializer that takes a token after its argument; the token is supplied, not sent.</summary>
    public static void InitWithToken(int value, CancellationToken cancellationToken) =>
        _initialized = cancellationToken.IsCancellationRequested ? -1 : value;

    public static int Initialized() => _initialized;

    /// <summary>The resident memory of the worker, in bytes.</summary>
    public static long WorkingSet() => Environment.WorkingSet;

    /// <summary>Allocates <paramref name="megabytes"/> MiB, touches every page, keeps it for the life of the worker.</summary>
    public static (int X, int Pid) HoldMemory(int x, int megabytes)
    {
        var block = new byte[megabytes * 1024 * 1024];
        for (var i = 0; i < block.Length; i += 4096)
        {
            block[i] = 1;
        }

        lock (Held)
        {
            Held.Add(block);
        }

        return (x, Environment.ProcessId);
    }

    /// <summary>
    /// Makes this worker unable to exit on request (a process-exit handler that never returns), writes its pid to
    /// <paramref name="path"/>, then sleeps <paramref name="milliseconds"/>.
    /// </summary>
    public static int RefuseToExit(string path, int milliseconds)
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Thread.Sleep(Timeout.Infinite);
        var temp = path + ".tmp";
        File.WriteAllText(temp, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
        Thread.Sleep(milliseconds);
        return Environment.ProcessId;
    }
}
