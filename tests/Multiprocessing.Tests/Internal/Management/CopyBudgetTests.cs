using Akka.Actor;
using Multiprocessing.Internal.Management;
using static Multiprocessing.Internal.Management.ManagerProtocol;

namespace Multiprocessing.Tests.Internal.Management;

/// <summary>
/// The process-wide bound on read-lease copies (multiprocessing.shared-objects.read-cache-max-bytes): the oldest copies
/// go first, the newest is never given back for itself, and a copy used again becomes the newest.
/// </summary>
public sealed class CopyBudgetTests
{
    private readonly List<ReadReplica> _evicted = [];

    [Fact]
    public void Copies_within_the_limit_are_all_kept()
    {
        var budget = new CopyBudget(300, _evicted.Add);

        budget.Installed(Copy(100));
        budget.Installed(Copy(100));
        budget.Installed(Copy(100));

        Assert.Empty(_evicted);
    }

    [Fact]
    public void A_copy_beyond_the_limit_gives_back_the_oldest_until_the_total_fits()
    {
        var budget = new CopyBudget(250, _evicted.Add);
        var first = Copy(100);
        var second = Copy(100);
        var third = Copy(100);
        budget.Installed(first);
        budget.Installed(second);

        budget.Installed(third);

        Assert.Equal([first], _evicted);
    }

    [Fact]
    public void A_copy_installed_again_becomes_the_newest()
    {
        var budget = new CopyBudget(250, _evicted.Add);
        var first = Copy(100);
        var second = Copy(100);
        budget.Installed(first);
        budget.Installed(second);
        budget.Installed(first);

        budget.Installed(Copy(100));

        Assert.Equal([second], _evicted);
    }

    [Fact]
    public void A_single_copy_larger_than_the_limit_stays_and_evicts_every_other()
    {
        var budget = new CopyBudget(50, _evicted.Add);
        var small = Copy(10);
        var large = Copy(100);
        budget.Installed(small);

        budget.Installed(large);

        Assert.Equal([small], _evicted);
        Assert.True(large.HasCopy);
    }

    private static ReadReplica Copy(int bytes)
    {
        var replica = new ReadReplica(ActorRefs.Nobody, ContainerKinds.Value, readsBeforeLease: 1, maxBytes: long.MaxValue);
        Assert.True(replica.Install(new LeaseGranted(1, 0, [new byte[bytes]])));
        Assert.Equal(bytes, replica.Bytes);
        return replica;
    }
}
