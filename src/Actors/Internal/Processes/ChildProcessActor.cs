using Akka.Actor;
using static Multiprocessing.Internal.Processes.ProcessProtocol;

namespace Multiprocessing.Internal.Processes;

/// <summary>Inside a <c>Process</c> child: registers with the parent's supervisor and receives the target to run.</summary>
internal sealed class ChildProcessActor : ReceiveActor
{
    public ChildProcessActor(string supervisorPath, int id, string token, TaskCompletionSource<(RunTarget, IActorRef)> target)
    {
        Receive<RunTarget>(run => target.TrySetResult((run, Sender)));
        Receive<ReceiveTimeout>(_ =>
        {
            target.TrySetException(new TimeoutException("The parent process did not send the target within 30 s."));
            Context.SetReceiveTimeout(null);
        });
        Context.SetReceiveTimeout(TimeSpan.FromSeconds(30));
        Context.ActorSelection(supervisorPath).Tell(new RegisterChild(id, Environment.ProcessId, token));
    }

    public static Props Props(string supervisorPath, int id, string token, TaskCompletionSource<(RunTarget, IActorRef)> target) =>
        Akka.Actor.Props.Create(() => new ChildProcessActor(supervisorPath, id, token, target));
}
