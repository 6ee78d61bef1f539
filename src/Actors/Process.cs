using System.Globalization;
using System.Runtime.InteropServices;
using Multiprocessing.Internal;
using Multiprocessing.Internal.Functions;
using Multiprocessing.Internal.Processes;

namespace Multiprocessing;

/// <summary>
/// Runs a static method (or a lambda that captures nothing) in a new OS process (Python's
/// <c>multiprocessing.Process</c>). Arguments travel as MessagePack; queues, locks and other shared objects passed
/// as arguments work in the child. Unlike Python, the child's unhandled exception is available as
/// <see cref="Exception"/>, and every child exits when its parent dies (PR-15 target). Use <c>mp.Process</c>:
/// <c>System.Diagnostics.Process</c> has the same name.
/// </summary>
public sealed class Process
{
    private static readonly object Gate = new();
    private static readonly List<Process> Live = [];
    private static int _count;
    private static bool _exitHooked;
    private readonly FunctionSpec _target;
    private readonly byte[] _args;
    private ChildProcess? _child;
    private int? _exitCode;
    private bool _closed;
    private bool _daemon;
    private bool _signalled;

    /// <summary>Prepares a child process; <see cref="Start"/> starts it (PR-01).</summary>
    /// <param name="target">A static method or a lambda that captures nothing.</param>
    /// <param name="args">The target's arguments (Python's <c>args</c>); they must be serializable.</param>
    /// <param name="name">The process name; default <c>Process-N</c> (PR-02).</param>
    /// <param name="daemon">Whether the child is stopped when this process exits instead of being waited for (PR-14).</param>
    /// <exception cref="ArgumentException">The target captures state, or the arguments do not match it.</exception>
    public Process(Delegate target, IReadOnlyList<object?>? args = null, string? name = null, bool? daemon = null)
    {
        (_target, _args) = DelegateCall.Describe(target, args, nameof(target));
        var n = Interlocked.Increment(ref _count);
        Name = name ?? (Current.IsChild ? $"{Current.Name}:{n}" : $"Process-{n}");
        _daemon = daemon ?? Current.Daemon;
    }

    /// <summary>This process: <c>MainProcess</c> in the program, the child's own name and pid in a child (PR-16).</summary>
    public static ProcessInfo Current { get; private set; } = new("MainProcess", Environment.ProcessId, false);

    /// <summary>
    /// The process ids of the warm spare processes this process keeps (<c>multiprocessing.runtime.spare-processes</c>):
    /// children whose runtime is up, waiting to become the next pool worker or <see cref="Process"/> child. They are
    /// not running any target, and they stop with this process.
    /// </summary>
    public static IReadOnlyList<int> SpareProcessIds => Internal.Processes.SpareProcesses.Pids;

    /// <summary>The process that started this one, or <see langword="null"/> in the main program (PR-17).</summary>
    public static ProcessInfo? Parent { get; private set; }

    /// <summary>The process's name (PR-02).</summary>
    public string Name { get; set; }

    /// <summary>Whether the child is stopped, not waited for, when this process exits (PR-12, PR-14).</summary>
    /// <exception cref="InvalidOperationException">Set after <see cref="Start"/>.</exception>
    public bool Daemon
    {
        get => _daemon;
        set
        {
            if (_child is not null)
            {
                throw new InvalidOperationException("The process has already started; set Daemon before Start() (PR-12).");
            }

            _daemon = value;
        }
    }

    /// <summary>The child's process id, or <see langword="null"/> before <see cref="Start"/> (PR-03).</summary>
    public int? Pid
    {
        get
        {
            CheckNotClosed();
            return _child?.Pid;
        }
    }

    /// <summary>
    /// The exit code once the child ended, else <see langword="null"/>: 0 after a normal return, 1 after an unhandled
    /// exception, the code given to <c>Environment.Exit</c>, or the negative signal number when it was killed
    /// (-15 after <see cref="Terminate"/>, -9 after <see cref="Kill"/>), as Python reports it (PR-07, PR-08).
    /// </summary>
    public int? ExitCode
    {
        get
        {
            CheckNotClosed();
            return ReadExitCode();
        }
    }

    /// <summary>The child's unhandled exception, with its type and stack, once it ended that way; Python loses it.</summary>
    public Exception? Exception { get; private set; }

    /// <summary>Whether the child was started and has not ended (PR-05).</summary>
    /// <returns><see langword="true"/> while the child runs.</returns>
    public bool IsAlive()
    {
        CheckNotClosed();
        return _child is not null && !_child.HasExited;
    }

    /// <summary>Starts the child (PR-04, PR-05).</summary>
    /// <exception cref="InvalidOperationException">It was already started, or this process is a daemon (PR-13).</exception>
    public void Start()
    {
        CheckNotClosed();
        if (_child is not null)
        {
            throw new InvalidOperationException("Cannot start a process twice (PR-04).");
        }

        if (Current.Daemon)
        {
            throw new InvalidOperationException("Daemonic processes are not allowed to have children (PR-13, P-08).");
        }

        // Starting a process is a synchronization point: the child sees every earlier write of this process.
        Internal.Sharing.Caller.DrainWrites();
        var id = Children.NextId();
        var token = Guid.NewGuid().ToString("N");
        var target = new ProcessProtocol.RunTarget(_target, _args, Name, _daemon, Current.Name, Environment.ProcessId);
        Children.Expect(new ChildRegistration(id, token, target, error => Exception = error?.ToException($"process {Name}")));
        try
        {
            _child = ChildLauncher.Start(
                ChildRoles.Process,
                ["--supervisor", Children.SupervisorPath, "--id", id.ToString(CultureInfo.InvariantCulture)],
                token);
        }
        catch
        {
            Children.TryRemove(id, out _);
            throw;
        }

        lock (Gate)
        {
            Live.Add(this);
            if (!_exitHooked)
            {
                _exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => OnParentExit();
            }
        }
    }

    /// <summary>Waits for the child to end; returns either way: check <see cref="ExitCode"/> (PR-06).</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until it ends; zero or negative does not wait.</param>
    /// <exception cref="InvalidOperationException">The process was not started (PR-03).</exception>
    public void Join(TimeSpan? timeout = null) => JoinAsync(timeout).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Join"/>.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits until it ends.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the child ended or the timeout passed.</returns>
    public async Task JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        CheckNotClosed();
        var child = _child ?? throw new InvalidOperationException("Can only join a started process (PR-03).");
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            return;
        }

        // Task.WaitAsync takes at most about 49 days; anything longer is as good as forever.
        var wait = timeout is { } limit && limit.TotalMilliseconds < uint.MaxValue - 1 ? limit : Timeout.InfiniteTimeSpan;
        try
        {
            await child.Exited.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // join(timeout) returns either way (PR-06).
        }
    }

    /// <summary>Asks the child to stop with SIGTERM (PR-09); a no-op once it ended.</summary>
    public void Terminate() => Signal(15);

    /// <summary>Stops the child with SIGKILL (PR-08); a no-op once it ended.</summary>
    public void Kill() => Signal(9);

    /// <summary>Releases the process object (PR-11); most members then throw <see cref="ObjectDisposedException"/>.</summary>
    /// <exception cref="InvalidOperationException">The child is still running.</exception>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        if (_child is not null && !_child.HasExited)
        {
            throw new InvalidOperationException(
                "Cannot close a process while it is still running. Call Join() or Terminate() first (PR-11).");
        }

        _closed = true;
        _child?.Dispose();
    }

    /// <summary>Python's <c>repr(process)</c>.</summary>
    /// <returns>Name, state and exit code.</returns>
    public override string ToString()
    {
        var state = _closed ? "closed" : _child is null ? "initial" : !_child.HasExited ? "started" : $"stopped exitcode={ReadExitCode()}";
        return $"<Process name='{Name}' {state}{(_daemon ? " daemon" : string.Empty)}>";
    }

    private int? ReadExitCode()
    {
        if (_child is null || !_child.HasExited)
        {
            return null;
        }

        _exitCode ??= MapExitCode(_child.Exited.Result, _signalled);
        return _exitCode;
    }

    /// <summary>
    /// .NET reports a child killed by signal n as exit code 128 + n, like a shell. Python reports -n (PR-08). A code in
    /// that range is reported as -n when this object sent the signal, or when it is one of the signals that end a
    /// process from outside or by a crash (SIGABRT, SIGKILL, SIGSEGV, SIGTERM); otherwise it is taken as the code
    /// the child itself passed to <c>Environment.Exit</c> (PR-07).
    /// </summary>
    private static int MapExitCode(int code, bool signalled)
    {
        if (OperatingSystem.IsWindows() || code <= 128 || code >= 160)
        {
            return code;
        }

        var signal = code - 128;
        return signalled || signal is 6 or 9 or 11 or 15 ? -signal : code;
    }

    private void Signal(int signal)
    {
        CheckNotClosed();
        if (_child is null || _child.HasExited)
        {
            return;
        }

        _signalled = true;
        if (signal == 9 || OperatingSystem.IsWindows())
        {
            _child.Kill();
        }
        else
        {
            _ = SendSignal(_child.Pid, signal);
        }
    }

    internal static void SetCurrent(ProcessInfo current, ProcessInfo parent)
    {
        Current = current with { IsChild = true };
        Parent = parent;
    }

    private void CheckNotClosed() => ObjectDisposedException.ThrowIf(_closed, this);

    private static void OnParentExit()
    {
        List<Process> live;
        lock (Gate)
        {
            live = [.. Live];
        }

        // PR-14: daemonic children are stopped; the others are waited for.
        foreach (var process in live.Where(p => p._daemon))
        {
            process._child?.Kill();
        }

        foreach (var process in live.Where(p => !p._daemon))
        {
            process._child?.Exited.Wait();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
