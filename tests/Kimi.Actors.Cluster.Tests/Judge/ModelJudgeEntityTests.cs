using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging.ModelJudges;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;
using static Kimi.Actors.Cluster.Protocol.JudgeProtocol;

namespace Kimi.Actors.Cluster.Tests.Judge;

/// <summary>
/// A model judge chosen for a domain in <c>kimi.judges.models</c> judges that domain's prompts in the RewardJudge entity
/// (the other domains keep their rule verifiers); a model judge that fails scores 0 with its cause and the entity serves
/// on; a bad entry is refused naming its key.
/// </summary>
public sealed class ModelJudgeEntityTests() : TestKit("akka.loglevel = WARNING")
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kimi-judge-entity-" + Guid.NewGuid().ToString("N"));

    private static int _ids;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Trajectory Response(string text)
    {
        var tokens = CharTokenizer.Instance.Encode(text).Append(CharTokenizer.Eos).ToArray();
        return new Trajectory(new TrajectoryId(new PromptId($"m-{Interlocked.Increment(ref _ids)}"), 1, 0), tokens, new float[tokens.Length], StopReason.Stop, []);
    }

    private string SaveValueHead(string name)
    {
        var config = CharTokenizer.Instance.Apply(new ModelConfig
        {
            HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 96,
        });
        var dir = Path.Combine(_dir, name);
        using var judge = new ValueHeadJudge(new ValueHeadModel(new LlamaForCausalLM(config, 5), 5), CharTokenizer.Instance);
        judge.Save(dir);
        return dir;
    }

    private static JudgeSettings Settings(string models) =>
        JudgeSettings.FromConfig(ConfigurationFactory.ParseString($"kimi.judges {{ concurrency = 2, timeout = 30s, models {{ {models} }} }}"));

    [Fact]
    public void The_domain_s_model_judge_judges_its_prompts_and_a_failing_one_scores_zero_while_the_entity_serves_on()
    {
        var dir = SaveValueHead("vh");
        var settings = Settings($"arithmetic {{ kind = value-head, checkpoint = \"{dir}\" }}");
        var verifiers = settings.CreateVerifiers();
        var model = Assert.IsAssignableFrom<ModelJudge>(verifiers[Verifiers.Arithmetic]);
        Assert.Equal(ModelJudgeKind.ValueHead, model.Kind);
        var entity = Sys.ActorOf(RewardJudgeActor.Props("0", settings, new JudgeGate(settings.Concurrency), verifiers));
        var items = new[]
        {
            new JudgeItem(Response("3,8,10#10"), PromptSpec.From(new PromptRecord("a", "3+5+2=", "10", Verifiers.Arithmetic, 1, ["sum"]))),
            new JudgeItem(Response("4*2=8,8+7=15 ok#4*2+7"), PromptSpec.From(new PromptRecord("s", "4 7 2>15:", "4*2+7", Verifiers.Search, 1, ["countdown"]))),
        };
        entity.Tell(new JudgeTrajectories(new JudgeSlot(0), RunId.Parse("run-m"), new RequestId(1, 1), items, TokenizerSpec.Char), TestActor);
        var reply = ExpectMsg<TrajectoriesJudged>(TimeSpan.FromSeconds(30));
        // The model judge's own verdict (an untrained head: whatever it says, it says it with its score)...
        Assert.StartsWith("value-head: p(correct) = ", reply.Judged[0].Reason);
        Assert.Equal(reply.Judged[0].Correct ? 1.0 : 0.0, reply.Judged[0].Reward);
        // ...and the rule verifier for the other domain.
        Assert.Equal((1.0, "ok"), (reply.Judged[1].Reward, reply.Judged[1].Reason));

        // The judge broken underneath (injected: its weights released): reward 0 with the cause; the entity serves on.
        model.Dispose();
        entity.Tell(new JudgeTrajectories(new JudgeSlot(0), RunId.Parse("run-m"), new RequestId(1, 2), items, TokenizerSpec.Char), TestActor);
        reply = ExpectMsg<TrajectoriesJudged>(TimeSpan.FromSeconds(30));
        Assert.Equal(0.0, reply.Judged[0].Reward);
        Assert.StartsWith("value-head: judge failed: ObjectDisposedException", reply.Judged[0].Reason);
        Assert.Equal(1.0, reply.Judged[1].Reward);
    }

    [Fact]
    public void A_model_judge_that_outlasts_the_timeout_scores_zero_with_the_cause_and_the_entity_serves_on()
    {
        // A chain-of-thought judge reading a 3,000-character response (its prefill alone takes far longer) cannot answer within 1 ms.
        var dir = Path.Combine(_dir, "cot");
        var config = CharTokenizer.Instance.Apply(new ModelConfig
        {
            HiddenSize = 128, IntermediateSize = 256, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 4096,
        });
        using (var cot = new ChainOfThoughtJudge(new LlamaForCausalLM(config, 9), CharTokenizer.Instance, 512)) cot.Save(dir);
        var settings = JudgeSettings.FromConfig(ConfigurationFactory.ParseString(
            $"kimi.judges {{ concurrency = 2, timeout = 1ms, models {{ arithmetic {{ kind = cot, checkpoint = \"{dir}\" }} }} }}"));
        var entity = Sys.ActorOf(RewardJudgeActor.Props("0", settings, new JudgeGate(settings.Concurrency), settings.CreateVerifiers()));
        var arithmetic = new JudgeItem(Response(new string('3', 3000) + "#10"), PromptSpec.From(new PromptRecord("a", "3+5+2=", "10", Verifiers.Arithmetic, 1, ["sum"])));
        entity.Tell(new JudgeTrajectories(new JudgeSlot(0), RunId.Parse("run-t"), new RequestId(1, 1), [arithmetic], TokenizerSpec.Char), TestActor);
        var reply = ExpectMsg<TrajectoriesJudged>(TimeSpan.FromSeconds(30));
        Assert.Equal((0.0, false, "judge timed out after 0 s"), (reply.Judged[0].Reward, reply.Judged[0].Correct, reply.Judged[0].Reason));

        // Still serving: the next batch is answered (its rule-verified prompt within 1 ms or with the same cause).
        var search = new JudgeItem(Response("4*2=8,8+7=15 ok#4*2+7"), PromptSpec.From(new PromptRecord("s", "4 7 2>15:", "4*2+7", Verifiers.Search, 1, ["countdown"])));
        entity.Tell(new JudgeTrajectories(new JudgeSlot(0), RunId.Parse("run-t"), new RequestId(1, 2), [search, arithmetic], TokenizerSpec.Char), TestActor);
        reply = ExpectMsg<TrajectoriesJudged>(TimeSpan.FromSeconds(30));
        Assert.Contains(reply.Judged[0].Reason, new[] { "ok", "judge timed out after 0 s" });
        Assert.Equal("judge timed out after 0 s", reply.Judged[1].Reason);
    }

    [Fact]
    public void A_bad_model_judge_entry_is_refused_naming_its_key()
    {
        var dir = SaveValueHead("vh2");
        var e = Assert.Throws<ArgumentException>(() => Settings("arithmetic { kind = oracle, checkpoint = x }"));
        Assert.StartsWith("kimi.judges.models.arithmetic.kind = oracle: expected model-cot or value-head", e.Message);
        e = Assert.Throws<ArgumentException>(() => Settings("poetry { kind = cot, checkpoint = x }"));
        Assert.StartsWith("kimi.judges.models.poetry: unknown domain 'poetry'", e.Message);
        e = Assert.Throws<ArgumentException>(() => Settings("arithmetic { kind = cot }"));
        Assert.StartsWith("kimi.judges.models.arithmetic.checkpoint: missing", e.Message);
        e = Assert.Throws<ArgumentException>(() => Settings("arithmetic { kind = cot, checkpoint = x, temperature = 1 }"));
        Assert.StartsWith("kimi.judges.models.arithmetic.temperature: unknown key", e.Message);
        e = Assert.Throws<ArgumentException>(() => Settings("arithmetic { kind = cot, checkpoint = x, device = tpu }"));
        Assert.StartsWith("kimi.judges.models.arithmetic.device = tpu", e.Message);

        // Loading: a folder that is no judge, and a judge of the other kind.
        var missing = Path.Combine(_dir, "none");
        e = Assert.Throws<ArgumentException>(() => Settings($"search {{ kind = cot, checkpoint = \"{missing}\" }}").LoadModels());
        Assert.StartsWith($"kimi.judges.models.search.checkpoint = {missing}: ", e.Message);
        Assert.Contains("judge.json: missing", e.Message);
        e = Assert.Throws<ArgumentException>(() => Settings($"search {{ kind = cot, checkpoint = \"{dir}\" }}").LoadModels());
        Assert.StartsWith($"kimi.judges.models.search.kind = model-cot, but {dir} holds a value-head judge", e.Message);
    }
}
