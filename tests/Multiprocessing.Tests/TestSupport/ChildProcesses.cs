namespace Multiprocessing.Tests.TestSupport;

/// <summary>
/// The <see cref="Process"/> children a test started, killed when it ends, and a folder they report through, deleted
/// when it ends: a test that fails half-way leaves no child and no file behind.
/// </summary>
public sealed class ChildProcesses : IDisposable
{
    private readonly List<Process> _started = [];
    private string? _folder;

    /// <summary>A path in this test's folder (made on first use).</summary>
    public string PathFor(string name)
    {
        _folder ??= Directory.CreateTempSubdirectory("mp-test-").FullName;
        return Path.Combine(_folder, name);
    }

    /// <summary>Starts <paramref name="process"/> and tracks it.</summary>
    public Process Start(Process process)
    {
        _started.Add(process);
        process.Start();
        return process;
    }

    /// <summary>Starts a child running <paramref name="target"/> with <paramref name="args"/>.</summary>
    public Process Start(Delegate target, params object?[] args) => Start(new Process(target, args));

    public void Dispose()
    {
        foreach (var process in _started)
        {
            try
            {
                process.Kill();
            }
            catch (ObjectDisposedException)
            {
                // Closed by the test.
            }
            catch (InvalidOperationException)
            {
                // Its start failed (what the test checked): nothing to kill.
            }
        }

        try
        {
            if (_folder is not null)
            {
                Directory.Delete(_folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment.
        }
    }
}
