namespace Multiprocessing.Tests.TestSupport;

/// <summary>Tests that start OS processes run one at a time: the machines have 2 cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}
