using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Multiprocessing.Internal.Runtime;
using static Multiprocessing.Internal.Processes.ProcessProtocol;

namespace Multiprocessing.Internal.Processes;

/// <summary>A started child as the supervisor sees it.</summary>
internal sealed record ChildRegistration(int Id, string Token, RunTarget Target, Action<RemoteError?> Finished);

/// <summary>The <c>Process</c> children this process started and is waiting to hear from.</summary>
internal static class Children
{
    private static readonly ConcurrentDictionary<int, ChildRegistration> Registered = new();
    private static readonly Lazy<IActorRef> Supervisor = new(() =>
        MultiprocessingRuntime.System.ActorOf(Props.Create(() => new ProcessSupervisor()), "processes"));

    private static int _lastId;

    /// <summary>The supervisor's full remote path, given to children on their command line.</summary>
    public static string SupervisorPath =>
        Supervisor.Value.Path.ToStringWithAddress(((ExtendedActorSystem)MultiprocessingRuntime.System).Provider.DefaultAddress);

    public static int NextId() => Interlocked.Increment(ref _lastId);

    public static void Expect(ChildRegistration child)
    {
        _ = Supervisor.Value;
        Registered[child.Id] = child;
    }

    public static bool TryGet(int id, out ChildRegistration child) => Registered.TryGetValue(id, out child!);

    public static bool TryRemove(int id, out ChildRegistration child) => Registered.TryRemove(id, out child!);
}

/// <summary>The one actor in each process that hands <c>Process</c> children their target and records how it ended.</summary>
internal sealed class ProcessSupervisor : ReceiveActor
{
    public ProcessSupervisor()
    {
        Receive<RegisterChild>(register =>
        {
            if (Children.TryGet(register.Id, out var child) && child.Token == register.Token)
            {
                Sender.Tell(child.Target);

                // The child is up: keep warm spares for the next ones.
                SpareProcesses.Replenish();
            }
            else
            {
                Context.GetLogger().Warning("Refused a child registration from {0} (unknown child or wrong token).", Sender.Path);
            }
        });
        Receive<ChildFinished>(finished =>
        {
            if (Children.TryRemove(finished.Id, out var child))
            {
                child.Finished(finished.Error);
            }

            Sender.Tell(new ChildFinishedAck(finished.Id));
        });
    }
}
