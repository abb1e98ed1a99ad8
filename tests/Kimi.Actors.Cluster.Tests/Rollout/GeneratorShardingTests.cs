using Kimi.Actors.Cluster.Rollout;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Tests.Rollout;

/// <summary>
/// A run's generators are as many shards as it has slots (up to the 64 shards), so the coordinator can put each on a
/// node of its own; hashing each entity id would put some of them on one shard, and those would always move together.
/// </summary>
public sealed class GeneratorShardingTests
{
    private static readonly RunId[] Runs = [RunId.Parse("run-20261201-160308-2506"), RunId.Parse("run-20261201-160034-d864"), RunId.Parse("nightly")];

    [Fact]
    public void Every_slot_of_a_run_has_a_shard_of_its_own()
    {
        foreach (var run in Runs)
        {
            var shards = Enumerable.Range(0, 64).Select(s => GeneratorSharding.ShardIdOf(run, new GeneratorSlot(s))).ToList();
            Assert.Equal(64, shards.Distinct().Count());
            Assert.All(shards, id => Assert.InRange(int.Parse(id), 0, 63));
            // Consecutive slots take consecutive shards, wrapping at 64.
            Assert.Equal((int.Parse(shards[0]) + 1) % 64, int.Parse(shards[1]));
        }
    }
}
