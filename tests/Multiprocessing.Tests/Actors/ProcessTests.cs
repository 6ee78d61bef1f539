using System.Globalization;
using System.Runtime.CompilerServices;
using Multiprocessing.Tests.TestSupport;
using OsProcess = System.Diagnostics.Process;

namespace Multiprocessing.Tests.Actors;

/// <summary>
/// <see cref="Process"/> on real child processes: lifecycle, exit codes, the child's exception, terminate/kill, close,
/// names, <see cref="Process.Current"/>/<see cref="Process.Parent"/> and orphan prevention. Children report through
/// files. Spec ids refer to /work/shared/spec/python-semantics.md (§1.21 PR-, §2.5, pain points 19 and 20).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ProcessTests : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private readonly ChildProcesses _children = new();

    public void Dispose() => _children.Dispose();

    // ----- construction and names (PR-01, PR-02, PR-03, PR-12) -----

    [Fact]
    public void Members_report_the_initial_state_and_Join_throws_InvalidOperationException_before_Start_PR03()
    {
        var process = new Process(ProcessTargets.Noop);

        Assert.Null(process.Pid);
        Assert.Null(process.ExitCode);
        Assert.Null(process.Exception);
        Assert.False(process.IsAlive());
        Assert.Throws<InvalidOperationException>(() => process.Join());
        Assert.Throws<InvalidOperationException>(() => process.Join(TimeSpan.FromSeconds(1)));
        Assert.EndsWith("initial>", process.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Terminate_and_Kill_before_Start_do_nothing()
    {
        var process = new Process(ProcessTargets.Noop);

        process.Terminate();
        process.Kill();

        Assert.Null(process.ExitCode);
        Assert.False(process.IsAlive());
    }

    [Fact]
    public void Name_defaults_to_Process_N_with_a_counter_and_keeps_a_given_name_PR02()
    {
        var first = new Process(ProcessTargets.Noop);
        var second = new Process(ProcessTargets.Noop);
        var named = new Process(ProcessTargets.Noop, name: "worker one");
        var again = new Process(ProcessTargets.Noop, name: "worker one");

        var firstNumber = NumberOf(first.Name);
        Assert.True(NumberOf(second.Name) > firstNumber, $"{second.Name} should count on from {first.Name}");
        Assert.Equal("worker one", named.Name);
        Assert.Equal("worker one", again.Name);
        Assert.Contains("name='worker one'", named.ToString(), StringComparison.Ordinal);

        static int NumberOf(string name)
        {
            Assert.Matches("^Process-[0-9]+$", name);
            return int.Parse(name["Process-".Length..], CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public void Daemon_defaults_to_false_in_the_main_process_and_can_be_set_before_Start_PR12()
    {
        var process = new Process(ProcessTargets.Noop);
        Assert.False(process.Daemon);

        process.Daemon = true;

        Assert.True(process.Daemon);
        Assert.True(new Process(ProcessTargets.Noop, daemon: true).Daemon);
        Assert.Contains(" daemon", process.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_throws_ArgumentException_when_the_target_captures_state_or_the_arguments_do_not_fit_PR01()
    {
        var captured = 5;
        var capturing = Assert.Throws<ArgumentException>(() => new Process(() => Thread.Sleep(captured)));
        Assert.Contains("'captured'", capturing.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => new Process(ProcessTargets.Sleep));
        Assert.Throws<ArgumentException>(() => new Process(ProcessTargets.Sleep, [1, 2]));
        Assert.Throws<ArgumentException>(() => new Process(ProcessTargets.Sleep, ["not a number"]));
    }

    [Fact]
    public void Current_is_MainProcess_with_this_pid_and_Parent_is_null_in_the_main_process_PR16_PR17()
    {
        Assert.Equal("MainProcess", Process.Current.Name);
        Assert.Equal(Environment.ProcessId, Process.Current.Pid);
        Assert.False(Process.Current.Daemon);
        Assert.Null(Process.Parent);
    }

    // ----- start, join, exit codes (PR-04..PR-07) -----

    [Fact]
    public void Start_twice_throws_InvalidOperationException_and_Daemon_cannot_change_after_Start_PR04_PR12()
    {
        var process = Start(new Process(ProcessTargets.Noop));

        Assert.Throws<InvalidOperationException>(process.Start);
        Assert.Throws<InvalidOperationException>(() => { process.Daemon = true; });

        process.Join(TestTimeout);
        Assert.Equal(0, process.ExitCode);
        Assert.Throws<InvalidOperationException>(process.Start);
    }

    [Fact]
    public async Task Join_with_a_timeout_returns_while_the_child_runs_and_can_be_called_many_times_PR05_PR06()
    {
        var process = Start(new Process(ProcessTargets.Sleep, [60_000]));

        Assert.True(process.IsAlive());
        Assert.NotNull(process.Pid);
        Assert.NotEqual(Environment.ProcessId, process.Pid);
        Assert.True(OsProcesses.IsAlive(process.Pid!.Value));
        Assert.Null(process.ExitCode);
        Assert.EndsWith("started>", process.ToString(), StringComparison.Ordinal);

        process.Join(TimeSpan.FromMilliseconds(300));
        process.Join(TimeSpan.Zero);
        process.Join(TimeSpan.FromSeconds(-1));
        await process.JoinAsync(TimeSpan.FromMilliseconds(100));
        Assert.True(process.IsAlive());
        Assert.Null(process.ExitCode);

        process.Terminate();
        process.Join(TestTimeout);
        process.Join(TestTimeout);
        process.Join();
        await process.JoinAsync().WaitAsync(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(-15, process.ExitCode);
    }

    [Fact]
    public async Task Join_waits_for_the_child_when_the_timeout_is_longer_than_49_days_PR06()
    {
        // join(timeout) accepts any timeout; TimeSpan.MaxValue is a common "no limit".
        var process = Start(new Process(ProcessTargets.Sleep, [200]));

        await Task.Run(() => process.Join(TimeSpan.FromDays(60))).WaitAsync(TestTimeout);
        await Task.Run(() => process.Join(TimeSpan.MaxValue)).WaitAsync(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public void ExitCode_is_0_and_Exception_null_when_the_target_returns_PR07()
    {
        var process = Start(new Process(ProcessTargets.Sleep, [50]));

        process.Join(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(0, process.ExitCode);
        Assert.Null(process.Exception);
        Assert.EndsWith("stopped exitcode=0>", process.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ExitCode_is_1_and_Exception_is_the_childs_exception_with_its_type_message_and_remote_stack_PR07()
    {
        // PR-07 and pain point 20: Python only gives exit code 1; here the exception reaches the parent too.
        var process = Start(new Process(ProcessTargets.Throw, ["the child failed"]));

        process.Join(TestTimeout);

        Assert.Equal(1, process.ExitCode);
        var error = Assert.IsType<InvalidOperationException>(process.Exception);
        Assert.Equal("the child failed", error.Message);
        var remote = Assert.IsType<string>(error.Data["RemoteStackTrace"]);
        Assert.Contains(nameof(ProcessTargets.Throw), remote, StringComparison.Ordinal);
        Assert.Contains("the child failed", remote, StringComparison.Ordinal);
    }

    [Fact]
    public void ExitCode_is_the_code_given_to_Environment_Exit_PR07()
    {
        var process = Start(new Process(ProcessTargets.Exit, [5]));

        process.Join(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(5, process.ExitCode);
        Assert.Null(process.Exception);
    }

    [Fact]
    public void ExitCode_is_the_code_given_to_Environment_Exit_when_it_lies_in_the_signal_range_PR07()
    {
        // Python: sys.exit(130) -> exitcode 130 (only death by a signal is negative). 130 is the usual
        // "interrupted" status; it must not be reported as -2 (SIGINT) when no signal was involved.
        var process = Start(new Process(ProcessTargets.Exit, [130]));

        process.Join(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(130, process.ExitCode);
    }

    [Fact]
    public void Terminate_ends_a_running_child_with_ExitCode_minus_15_PR08_PR09()
    {
        var process = Start(new Process(ProcessTargets.Sleep, [60_000]));
        var pid = process.Pid!.Value;
        process.Join(TimeSpan.FromMilliseconds(500));
        Assert.True(process.IsAlive());

        process.Terminate();
        process.Join(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(-15, process.ExitCode);
        Assert.Null(process.Exception);
        Assert.False(OsProcesses.IsAlive(pid));
        Assert.EndsWith("stopped exitcode=-15>", process.ToString(), StringComparison.Ordinal);

        // PR-09: terminate()/kill() of an ended process are no-ops.
        process.Terminate();
        process.Kill();
        Assert.Equal(-15, process.ExitCode);
    }

    [Fact]
    public void Terminate_right_after_Start_ends_the_child_with_ExitCode_minus_15_PR08()
    {
        var process = Start(new Process(ProcessTargets.Sleep, [60_000]));

        process.Terminate();
        process.Join(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(-15, process.ExitCode);
    }

    [Fact]
    public void Kill_ends_a_running_child_with_ExitCode_minus_9_PR08()
    {
        var process = Start(new Process(ProcessTargets.Sleep, [60_000]));
        process.Join(TimeSpan.FromMilliseconds(500));
        Assert.True(process.IsAlive());

        process.Kill();
        process.Join(TestTimeout);

        Assert.False(process.IsAlive());
        Assert.Equal(-9, process.ExitCode);
        Assert.Null(process.Exception);
        process.Kill();
        process.Terminate();
        Assert.Equal(-9, process.ExitCode);
    }

    // ----- close (PR-11) -----

    [Fact]
    public void Close_throws_while_running_and_afterwards_members_throw_ObjectDisposedException_PR11()
    {
        var process = Start(new Process(ProcessTargets.Sleep, [60_000]));

        Assert.Throws<InvalidOperationException>(process.Close);
        Assert.True(process.IsAlive());

        process.Kill();
        process.Join(TestTimeout);
        Assert.Equal(-9, process.ExitCode);
        process.Close();

        Assert.Throws<ObjectDisposedException>(() => process.IsAlive());
        Assert.Throws<ObjectDisposedException>(() => process.Join());
        Assert.Throws<ObjectDisposedException>(() => process.Join(TimeSpan.FromSeconds(1)));
        Assert.Throws<ObjectDisposedException>(process.Terminate);
        Assert.Throws<ObjectDisposedException>(process.Kill);
        Assert.Throws<ObjectDisposedException>(process.Start);
        Assert.Throws<ObjectDisposedException>(() => process.ExitCode);
        Assert.Throws<ObjectDisposedException>(() => process.Pid);
        process.Close();
        Assert.EndsWith("closed>", process.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Close_of_a_process_that_was_never_started_succeeds_PR11()
    {
        var process = new Process(ProcessTargets.Noop);

        process.Close();

        Assert.Throws<ObjectDisposedException>(process.Start);
    }

    // ----- the child's view: Current, Parent, daemon (PR-13, PR-16, PR-17) -----

    [Fact]
    public void Current_and_Parent_in_a_child_report_its_name_pid_daemon_flag_and_the_parents_name_and_pid_PR16_PR17()
    {
        var path = _children.PathFor("identity");
        var process = Start(new Process(ProcessTargets.ReportIdentity, [path], name: "reporter", daemon: true));

        process.Join(TestTimeout);

        Assert.True(process.ExitCode == 0, $"the child exited with {process.ExitCode}: {process.Exception}");
        var lines = File.ReadAllLines(path);
        Assert.Equal("reporter", lines[0]);
        Assert.Equal(process.Pid!.Value.ToString(CultureInfo.InvariantCulture), lines[1]);
        Assert.Equal("True", lines[2]);
        Assert.Equal("MainProcess", lines[3]);
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), lines[4]);
    }

    [Fact]
    public void Start_in_a_daemonic_child_throws_InvalidOperationException_PR13()
    {
        var process = Start(new Process(ProcessTargets.StartChild, daemon: true));

        process.Join(TestTimeout);

        Assert.Equal(1, process.ExitCode);
        var error = Assert.IsType<InvalidOperationException>(process.Exception);
        Assert.Contains("aemonic", error.Message, StringComparison.Ordinal);
    }

    // ----- orphans (PR-15 target, pain point 19) -----

    [Fact]
    public async Task Grandchild_is_gone_within_5_seconds_when_its_parent_process_is_SIGKILLed_PR15_PR02()
    {
        // The separate driver here is a Process child that starts its own (sleeping) child; the driver is killed
        // with SIGKILL alone (not its process tree), as a crash would end it. No example program starts a Process.
        var path = _children.PathFor("grandchild");
        var driver = Start(new Process(ProcessTargets.StartSleepingGrandchild, [path]));
        var fields = WaitForLines(path);
        var grandchildPid = int.Parse(fields[0], CultureInfo.InvariantCulture);
        Assert.True(OsProcesses.IsAlive(grandchildPid), "the grandchild should be sleeping");

        // PR-02: a child's children are named after it.
        Assert.Equal($"{driver.Name}:1", fields[1]);

        using (var os = OsProcess.GetProcessById(driver.Pid!.Value))
        {
            os.Kill(entireProcessTree: false);
        }

        var alive = await OsProcesses.WaitAllGoneAsync([grandchildPid], TimeSpan.FromSeconds(5));
        Assert.Empty(alive);
        driver.Join(TestTimeout);
        Assert.Equal(-9, driver.ExitCode);
    }

    // ----- helpers -----

    private Process Start(Process process) => _children.Start(process);

    private static string[] WaitForLines(string path)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (!File.Exists(path))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} did not appear within 30 s");
            Thread.Sleep(20);
        }

        return File.ReadAllLines(path);
    }
}

/// <summary>Targets of the child processes of <see cref="ProcessTests"/>; they report through files.</summary>
public static class ProcessTargets
{
    public static void Noop()
    {
    }

    public static void Sleep(int milliseconds) => Thread.Sleep(milliseconds);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Throw(string message) => throw new InvalidOperationException(message);

    public static void Exit(int code) => Environment.Exit(code);

    public static void ReportIdentity(string path)
    {
        var current = Process.Current;
        var parent = Process.Parent;
        Write(path, [
            current.Name,
            current.Pid.ToString(CultureInfo.InvariantCulture),
            current.Daemon.ToString(),
            parent?.Name ?? "none",
            parent?.Pid.ToString(CultureInfo.InvariantCulture) ?? "none",
        ]);
    }

    public static void StartChild() => new Process(Noop).Start();

    public static void StartSleepingGrandchild(string path)
    {
        var child = new Process(Sleep, [60_000]);
        child.Start();
        Write(path, [child.Pid!.Value.ToString(CultureInfo.InvariantCulture), child.Name]);
        Thread.Sleep(60_000);
    }

    private static void Write(string path, string[] lines)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }
}
