using System.Globalization;
using Akka.Actor;
using Multiprocessing.Internal.Processes;

namespace Multiprocessing.Internal.Pooling;

/// <summary>Starts pool workers as real OS processes running the app's code.</summary>
internal sealed class ProcessWorkerLauncher : IWorkerLauncher
{
    public static ProcessWorkerLauncher Instance { get; } = new();

    public IWorkerHandle Start(int workerId, string poolPath, string token, IActorRef pool)
    {
        var child = ChildLauncher.Start(
            ChildRoles.PoolWorker,
            ["--pool", poolPath, "--id", workerId.ToString(CultureInfo.InvariantCulture)],
            token);
        child.Exited.ContinueWith(
            t => pool.Tell(new PoolProtocol.WorkerExited(workerId, t.Result)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new Handle(child);
    }

    private sealed class Handle(ChildProcess child) : IWorkerHandle
    {
        public int Pid => child.Pid;

        public string StderrTail => child.StderrTail;

        public void Stop() => child.CloseLifeline();

        public void Kill() => child.Kill();
    }
}
