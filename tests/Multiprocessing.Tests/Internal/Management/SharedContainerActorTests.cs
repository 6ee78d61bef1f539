using Akka.Actor;
using MessagePack;
using Multiprocessing.Internal.Management;
using Multiprocessing.Tests.TestSupport;
using Xunit.Abstractions;
using static Multiprocessing.Internal.Management.ManagerProtocol;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing.Tests.Internal.Management;

/// <summary>
/// The read-lease protocol of a manager container, with probes standing in for client processes: a lease carries the
/// state, another process's change is held until every other holder confirmed its revocation (or is gone), and the
/// holder's own writes do not revoke it. Spec ids refer to /work/shared/spec/python-semantics.md (§1.18, §1.19).
/// </summary>
public sealed class SharedContainerActorTests(ITestOutputHelper output) : ActorTestKit(output)
{
    private const long Unlimited = long.MaxValue;

    [Fact]
    public async Task A_lease_carries_the_dict_in_insertion_order_with_the_current_epoch()
    {
        var dict = Dict(("b", 2), ("a", 1));
        var reader = CreateTestProbe();

        var grant = await CallAsync<LeaseGranted>(reader, dict, id => new ReadLease(id));

        Assert.Equal(0, grant.Epoch);
        var copy = ContainerState.Create(ContainerKinds.Dict, grant.Snapshot)!;
        Assert.Equal(2, ((Number)copy.Handle(1, "count", [])).Value);
        Assert.Equal(2, Decode<int>(((Data)copy.Handle(2, "get", [Encode("b")])).Value));
        Assert.Equal(["b", "a"], Decode<string[]>(((Data)copy.Handle(3, "keys", [])).Value));
    }

    [Fact]
    public async Task A_change_from_another_process_waits_until_the_holder_confirmed_the_revoke_M41()
    {
        var dict = Dict(("x", 1));
        var reader = CreateTestProbe();
        var writer = CreateTestProbe();
        var grant = await CallAsync<LeaseGranted>(reader, dict, id => new ReadLease(id));

        var set = Send(writer, dict, id => new Invoke(id, "set", [Encode("x"), Encode(2)]));

        var revoke = await reader.ExpectMsgAsync<ReadRevoke>(Wait);
        Assert.True(revoke.Epoch >= grant.Epoch);
        await writer.ExpectNoMsgAsync(Quiet);

        reader.Reply(new ReadRevoked(revoke.Epoch));
        Assert.Equal(set, (await writer.ExpectMsgAsync<Done>(Wait)).CallId);
        Assert.Equal(2, Decode<int>((await CallAsync<Data>(reader, dict, id => new Invoke(id, "get", [Encode("x")]))).Value));
    }

    [Fact]
    public async Task Calls_that_arrive_while_a_revoke_is_pending_run_after_the_change_in_arrival_order()
    {
        var value = Value(10);
        var reader = CreateTestProbe();
        var writer = CreateTestProbe();
        await CallAsync<LeaseGranted>(reader, value, id => new ReadLease(id));

        Send(writer, value, id => new Invoke(id, "set", [Encode(11)]));
        var get = Send(writer, value, id => new Invoke(id, "get", []));
        var revoke = await reader.ExpectMsgAsync<ReadRevoke>(Wait);
        await writer.ExpectNoMsgAsync(Quiet);
        reader.Reply(new ReadRevoked(revoke.Epoch));

        await writer.ExpectMsgAsync<Done>(Wait);
        var read = await writer.ExpectMsgAsync<Data>(Wait);
        Assert.Equal(get, read.CallId);
        Assert.Equal(11, Decode<int>(read.Value));
    }

    [Fact]
    public async Task The_holders_own_write_does_not_revoke_its_lease_and_reads_never_revoke()
    {
        var list = List(1, 2);
        var holder = CreateTestProbe();
        var other = CreateTestProbe();
        await CallAsync<LeaseGranted>(holder, list, id => new ReadLease(id));

        await CallAsync<Done>(holder, list, id => new Invoke(id, "append", [Encode(3)]));
        await CallAsync<Number>(other, list, id => new Invoke(id, "count", []));

        await holder.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task A_lease_granted_after_a_revoke_has_a_newer_epoch_and_is_revoked_again_by_the_next_change()
    {
        var value = Value(1);
        var reader = CreateTestProbe();
        var writer = CreateTestProbe();
        var first = await CallAsync<LeaseGranted>(reader, value, id => new ReadLease(id));
        Send(writer, value, id => new Invoke(id, "set", [Encode(2)]));
        reader.Reply(new ReadRevoked((await reader.ExpectMsgAsync<ReadRevoke>(Wait)).Epoch));
        await writer.ExpectMsgAsync<Done>(Wait);

        var second = await CallAsync<LeaseGranted>(reader, value, id => new ReadLease(id));
        Send(writer, value, id => new Invoke(id, "increment", [Encode(5)]));
        var revoke = await reader.ExpectMsgAsync<ReadRevoke>(Wait);

        Assert.True(second.Epoch > first.Epoch);
        Assert.True(revoke.Epoch >= second.Epoch);
        Assert.Equal(2, Decode<int>(second.Snapshot[0]));
    }

    [Fact]
    public async Task A_change_goes_ahead_when_a_holder_dies_without_confirming_M08()
    {
        var dict = Dict();
        var reader = CreateTestProbe();
        var writer = CreateTestProbe();
        await CallAsync<LeaseGranted>(reader, dict, id => new ReadLease(id));

        var set = Send(writer, dict, id => new Invoke(id, "set", [Encode("k"), Encode(1)]));
        await reader.ExpectMsgAsync<ReadRevoke>(Wait);
        Sys.Stop(reader.Ref);

        Assert.Equal(set, (await writer.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    [Fact]
    public async Task A_change_goes_ahead_after_the_revoke_limit_when_a_live_holder_never_answers_and_that_holder_is_forgotten()
    {
        var dict = Sys.ActorOf(SharedContainerActor.Props(ContainerKinds.Dict, [], Unlimited, TimeSpan.FromMilliseconds(300)));
        var silent = CreateTestProbe();
        var writer = CreateTestProbe();
        await CallAsync<LeaseGranted>(silent, dict, id => new ReadLease(id));

        var set = Send(writer, dict, id => new Invoke(id, "set", [Encode("k"), Encode(1)]));
        await silent.ExpectMsgAsync<ReadRevoke>(Wait);
        await writer.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        Assert.Equal(set, (await writer.ExpectMsgAsync<Done>(Wait)).CallId);
        await CallAsync<Done>(writer, dict, id => new Invoke(id, "set", [Encode("k"), Encode(2)]));
        await silent.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task A_returned_lease_is_not_revoked()
    {
        var dict = Dict();
        var reader = CreateTestProbe();
        var writer = CreateTestProbe();
        await CallAsync<LeaseGranted>(reader, dict, id => new ReadLease(id));
        await CallAsync<Done>(reader, dict, id => new ReturnReadLease(id));

        await CallAsync<Done>(writer, dict, id => new Invoke(id, "set", [Encode("k"), Encode(1)]));

        await reader.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task A_lease_is_declined_when_the_state_is_larger_than_read_lease_max_bytes()
    {
        var dict = Sys.ActorOf(SharedContainerActor.Props(ContainerKinds.Dict, [Encode("key"), Encode(new string('v', 100))], maxLeaseBytes: 50));
        var reader = CreateTestProbe();

        await CallAsync<Done>(reader, dict, id => new ReadLease(id));
        await CallAsync<Done>(CreateTestProbe(), dict, id => new Invoke(id, "set", [Encode("key"), Encode("w")]));

        await reader.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Every_holder_but_the_writer_is_revoked_and_the_change_waits_for_all_of_them()
    {
        var dict = Dict(("k", 0));
        var holders = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        foreach (var holder in holders)
        {
            await CallAsync<LeaseGranted>(holder, dict, id => new ReadLease(id));
        }

        var writer = holders[0];
        var set = Send(writer, dict, id => new Invoke(id, "set", [Encode("k"), Encode(1)]));
        var revokes = new List<ReadRevoke>();
        foreach (var holder in holders.Skip(1))
        {
            revokes.Add(await holder.ExpectMsgAsync<ReadRevoke>(Wait));
        }

        holders[1].Reply(new ReadRevoked(revokes[0].Epoch));
        await writer.ExpectNoMsgAsync(Quiet);
        holders[2].Reply(new ReadRevoked(revokes[1].Epoch));

        Assert.Equal(set, (await writer.ExpectMsgAsync<Done>(Wait)).CallId);
    }

    private IActorRef Dict(params (string Key, int Value)[] items) =>
        Sys.ActorOf(SharedContainerActor.Props(ContainerKinds.Dict, [.. items.SelectMany(i => new[] { Encode(i.Key), Encode(i.Value) })], Unlimited));

    private IActorRef List(params int[] items) =>
        Sys.ActorOf(SharedContainerActor.Props(ContainerKinds.List, [.. items.Select(i => Encode(i))], Unlimited));

    private IActorRef Value(int initial) => Sys.ActorOf(SharedContainerActor.Props(ContainerKinds.Value, [Encode(initial)], Unlimited));

    private static byte[] Encode<T>(T value) => MessagePackSerializer.Serialize(value);

    private static T Decode<T>(byte[] bytes) => MessagePackSerializer.Deserialize<T>(bytes);
}
