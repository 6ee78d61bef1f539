using Akka.Actor;
using Multiprocessing.Internal.Processes;
using Multiprocessing.Internal.Runtime;
using static Multiprocessing.Internal.Management.ManagerProtocol;

namespace Multiprocessing.Internal.Management;

/// <summary>Starts a manager process and waits for it to announce its root actor.</summary>
internal static class ManagerLauncher
{
    private static int _count;

    public static async Task<(ChildProcess Process, IActorRef Manager)> StartAsync(
        (string Host, int Port)? bind, byte[] key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var system = MultiprocessingRuntime.System;
        var token = Guid.NewGuid().ToString("N");
        var ready = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = system.ActorOf(Props.Create(() => new ReadyWaiter(token, ready)), $"manager-start-{Interlocked.Increment(ref _count)}");
        var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        ChildProcess? child = null;
        try
        {
            List<string> arguments = ["--owner", waiter.Path.ToStringWithAddress(address)];
            if (bind is { } where)
            {
                arguments.AddRange(["--hostname", where.Host, "--port", where.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }

            child = ChildLauncher.Start(ChildRoles.Manager, arguments, token, key);
            var exited = child.Exited;
            var first = await Task.WhenAny(ready.Task, exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
            if (first == ready.Task)
            {
                return (child, await ready.Task.ConfigureAwait(false));
            }

            cancellationToken.ThrowIfCancellationRequested();
            var why = first == exited
                ? $"it exited with {ChildProcess.DescribeExit(await exited.ConfigureAwait(false))}: {child.StderrTail}"
                : $"it did not start within {timeout.TotalSeconds:0.#} s";
            child.Kill();
            throw new ManagerUnavailableException($"The manager process could not be started: {why}");
        }
        catch when (child is not null && !ready.Task.IsCompletedSuccessfully)
        {
            child.Kill();
            throw;
        }
        finally
        {
            waiter.Tell(PoisonPill.Instance);
        }
    }

    private sealed class ReadyWaiter : ReceiveActor
    {
        public ReadyWaiter(string token, TaskCompletionSource<IActorRef> ready) =>
            Receive<ManagerReady>(message =>
            {
                if (message.Token == token)
                {
                    ready.TrySetResult(Sender);
                }
            });
    }
}
