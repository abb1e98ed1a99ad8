using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Sampling;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using static Kimi.Actors.Cluster.Tests.Prompt.PromptStateTests;

namespace Kimi.Actors.Cluster.Tests.Prompt;

/// <summary>The Run's sampler rebuilt from the Prompt entities' tagged events, on SQLite and on PostgreSQL.</summary>
public sealed class PromptIndexRebuildTests
{
    [SkippableTheory]
    [InlineData(TempDatabase.Sqlite)]
    [InlineData(TempDatabase.Postgres)]
    public async Task The_run_tag_query_returns_its_events_up_to_the_cut_off_and_restores_the_sampler(string provider)
    {
        using var _database = TempDatabase.For(provider);
        await using (var node = new PromptNode(_database))
        {
            for (int iteration = 0; iteration < 3; iteration++)
            {
                await node.Record(Group(Ids.Prompt("p-a"), iteration, (0, true), (1, false)));
                await node.Record(Group(Ids.Prompt("p-b"), iteration, (0, false)));
            }
            await node.Record(Group(Ids.Prompt("p-a"), 1, (1, false), (2, true)));    // one new sample, one duplicate
            await node.Record(new RecordJudgedGroup(Ids.Run("run-2"), Ids.Prompt("p-a"), 0, 1, [new SampleVerdict(Ids.Trajectory("p-a", 0, 0), true)]));
        }

        // A fresh system, as a Run recovering after a restart would see the journal.
        await using (var node = new PromptNode(_database))
        {
            var all = await PromptIndexRebuild.LoadAsync(node.System, Ids.Run("run-1"), upToIteration: 3);
            Assert.Equal(new PromptCounts(7, 4), all[Ids.Prompt("p-a")]);
            Assert.Equal(new PromptCounts(3, 0), all[Ids.Prompt("p-b")]);
            Assert.Equal(2, all.Count);

            var committed = await PromptIndexRebuild.LoadAsync(node.System, Ids.Run("run-1"), upToIteration: 2);
            Assert.Equal(new PromptCounts(5, 3), committed[Ids.Prompt("p-a")]);
            Assert.Equal(new PromptCounts(2, 0), committed[Ids.Prompt("p-b")]);

            Assert.Empty(await PromptIndexRebuild.LoadAsync(node.System, Ids.Run("run-1"), upToIteration: 0));
            Assert.Equal(new PromptCounts(1, 1), (await PromptIndexRebuild.LoadAsync(node.System, Ids.Run("run-2"), 1))[Ids.Prompt("p-a")]);

            // The run's prompt set no longer has p-b: its counts are reported, the others restored into the sampler.
            PromptRecord Prompt(string id, int difficulty) => new(id, id + "?", "0", "arithmetic", difficulty, []);
            var context = new RunContext(Ids.Run("run-1"), TaskSuite.Of([Prompt("p-a", 1), Prompt("p-x", 1), Prompt("p-c", 2)], [], [Prompt("h", 1)], []),
                Kimi.Actors.Model.Tokenization.CharTokenizer.Instance, new SamplerOptions());
            Assert.Equal([Ids.Prompt("p-b")], context.RestoreCounts(committed));
            Assert.Equal((5L, 3L), context.Sampler.Counts(0));
            Assert.Equal((0L, 0L), context.Sampler.Counts(2));
        }
    }
}
