using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Sampling;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Tests.Prompt.PromptStateTests;

namespace Kimi.Actors.Cluster.Tests.Prompt;

public sealed class PromptIndexRebuildTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task The_run_tag_query_returns_its_events_up_to_the_cut_off_and_restores_the_sampler()
    {
        await using (var node = new PromptNode(_database.File))
        {
            for (int iteration = 0; iteration < 3; iteration++)
            {
                await node.Record(Group("p-a", iteration, (0, true), (1, false)));
                await node.Record(Group("p-b", iteration, (0, false)));
            }
            await node.Record(Group("p-a", 1, (1, false), (2, true)));    // one new sample, one duplicate
            await node.Record(new RecordJudgedGroup("run-2", "p-a", 0, 1, [new SampleVerdict(0, true, "x")]));
        }

        // A fresh system, as a Run recovering after a restart would see the journal.
        await using (var node = new PromptNode(_database.File))
        {
            var all = await PromptIndexRebuild.LoadAsync(node.System, "run-1", upToIteration: 3);
            Assert.Equal(new PromptCounts(7, 4), all["p-a"]);
            Assert.Equal(new PromptCounts(3, 0), all["p-b"]);
            Assert.Equal(2, all.Count);

            var committed = await PromptIndexRebuild.LoadAsync(node.System, "run-1", upToIteration: 2);
            Assert.Equal(new PromptCounts(5, 3), committed["p-a"]);
            Assert.Equal(new PromptCounts(2, 0), committed["p-b"]);

            Assert.Empty(await PromptIndexRebuild.LoadAsync(node.System, "run-1", upToIteration: 0));
            Assert.Equal(new PromptCounts(1, 1), (await PromptIndexRebuild.LoadAsync(node.System, "run-2", 1))["p-a"]);

            var sampler = new PromptSampler([1, 1, 2], new SamplerOptions());
            var indexOf = new Dictionary<string, int> { ["p-a"] = 0, ["p-c"] = 2 };
            Assert.Equal(["p-b"], PromptIndexRebuild.Restore(sampler, indexOf, committed));
            Assert.Equal((5L, 3L), sampler.Counts(0));
            Assert.Equal((0L, 0L), sampler.Counts(2));
        }
    }

    public void Dispose() => _database.Dispose();
}
