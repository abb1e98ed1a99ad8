using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Cluster.Run;

namespace Kimi.Actors.Cluster.Tests.Run;

/// <summary>
/// The local engine and the cluster engine drive the same run machine: the same run (seed, options) through both, for two
/// iterations with in-process workers, trains the same groups per iteration and reports the same metric keys, computed
/// by the same code.
/// </summary>
[Collection("run entity")]
public class EngineParityTests
{
    [Fact]
    public async Task The_local_and_the_cluster_engine_train_the_same_groups_and_report_the_same_metric_keys()
    {
        var hocon = RunNode.RunConfig(iterations: 2);
        var options = RunOptionsBinder.Bind(ConfigurationFactory.ParseString(hocon)) with { RunId = "parity-local" };

        var local = new List<IterationMetrics>();
        var localGroups = new List<IReadOnlyList<GroupKey>>();
        var tokenizer = CharTokenizer.Instance;
        using (var policy = new LlamaForCausalLM(options.Model, options.Seed))
        using (var engine = new LocalRunEngine(options, TaskSuite.Create(options.Tasks, options.Seed, tokenizer), tokenizer, policy,
                   new Collector(local), new LocalEngineHooks(OnTrain: m => localGroups.Add(m.Groups.Select(g => g.Group).ToList()))))
        {
            var result = engine.Run();
            Assert.Equal(2, result.Iterations);
        }

        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db);
        var runId = RunId.Parse("parity-cluster");
        var (recorder, seen, done) = ProgressRecorders.Start(node.System);
        node.Node.Runs.Tell(new Protocol.RunProtocol.SubscribeRun(runId, recorder), Akka.Actor.ActorRefs.NoSender);
        node.Node.Runs.Tell(new Protocol.RunProtocol.StartRun(runId, hocon), recorder);
        Assert.IsType<RunFinished>(await done.Task.WaitAsync(TimeSpan.FromSeconds(120)));
        List<IterationMetrics> cluster;
        lock (seen) cluster = seen.OfType<IterationReported>().Select(i => i.Metrics).ToList();

        Assert.Equal(2, local.Count);
        Assert.Equal(local.Select(m => m.Iteration), cluster.Select(m => m.Iteration));
        Assert.Equal(local.Select(m => (m.Prompts, m.Samples)), cluster.Select(m => (m.Prompts, m.Samples)));
        Assert.Equal(local[0].ToRow().Keys.Order(), cluster[0].ToRow().Keys.Order());
        Assert.Contains("actor_overhead_fraction", cluster[0].ToRow().Keys);
        // Same seed, same sampler: the first iteration trains the same prompts' groups in both engines.
        var audit = await RunAuditReport.AuditAsync(node.System, runId);
        Assert.Equal(localGroups.Sum(g => g.Count) * options.Rollout.SamplesPerPrompt, audit.Trained);
        Assert.Equal(localGroups.Count, audit.CommittedIterations);
        Assert.Equal(localGroups[0].Order(), audit.TrainedByIteration[0].Select(t => t.Group).Distinct().Order());
    }

    private sealed class Collector(List<IterationMetrics> metrics) : ITrainingObserver
    {
        public void OnIteration(IterationMetrics m) => metrics.Add(m);
    }
}
