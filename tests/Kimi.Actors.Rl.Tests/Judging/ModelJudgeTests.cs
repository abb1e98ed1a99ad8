using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Judging.ModelJudges;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Tests.Judging;

/// <summary>
/// Model judges as reward verifiers: whatever goes wrong inside one (output it cannot read, a response too long, the
/// judge itself failing) is reward 0 with the cause, never an exception; a saved judge loads back to the same verdicts,
/// and a damaged folder is refused naming the file and field.
/// </summary>
public sealed class ModelJudgeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kimi-modeljudge-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static ModelConfig Config => CharTokenizer.Instance.Apply(new ModelConfig
    {
        HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 96,
    });

    private static ValueHeadJudge ValueHead(long seed = 1) => new(new ValueHeadModel(new LlamaForCausalLM(Config, seed), seed), CharTokenizer.Instance);

    private static Trajectory Response(string text)
    {
        var tokens = CharTokenizer.Instance.Encode(text).Append(CharTokenizer.Eos).ToArray();
        return new Trajectory(new TrajectoryId(new PromptId("p"), 1, 0), tokens, new float[tokens.Length], StopReason.Stop, []);
    }

    private static readonly PromptRecord Sum = new("p", "3+5+2=", "10", Verifiers.Arithmetic, 1, ["sum"]);

    [Fact]
    public void An_untrained_chain_of_thought_judge_writes_no_verdict_and_the_reward_is_zero_with_the_reason()
    {
        // An untrained decoder writes characters at random until its limit: unfinished, or a last line that is no verdict.
        using var judge = new ChainOfThoughtJudge(new LlamaForCausalLM(Config, 7), CharTokenizer.Instance, maxReasoningTokens: 24);
        var judged = RewardJudging.Judge(Response("3,8,10#10"), Sum, CharTokenizer.Instance, judge);
        Assert.Equal((0.0, false), (judged.Reward, judged.Correct));
        Assert.Matches("^model-cot: (unfinished output|no verdict|malformed verdict)", judged.Reason);
    }

    [Fact]
    public void A_failing_judge_scores_zero_with_its_cause_and_one_query_failing_costs_only_its_own_verdict()
    {
        var judge = ValueHead();
        var ok = judge.Judge(new JudgeQuery("3+5+2=", "10", "3,8,10#10"));
        Assert.True(ok.Judged, ok.Reason);
        Assert.StartsWith("value-head: p(correct) = ", ok.Reason);
        Assert.InRange(ok.Score!.Value, 0, 1);

        // Too long for the judge's context, and far too long even to encode: both refused, the others still judged.
        var verdicts = judge.Judge([
            new JudgeQuery("3+5+2=", "10", new string('9', 200)),
            new JudgeQuery("3+5+2=", "10", "3,8,10#10"),
            new JudgeQuery("3+5+2=", "10", new string('9', 10_000_000)),
        ]);
        Assert.StartsWith("value-head: too long to judge: 2", verdicts[0].Reason);
        Assert.Equal(ok, verdicts[1]);
        Assert.StartsWith("value-head: too long to judge: 10000", verdicts[2].Reason);
        Assert.False(verdicts[0].Correct || verdicts[2].Correct);

        // The judge broken underneath (injected: its weights released): reward 0 with the cause, no exception.
        judge.Dispose();
        var judged = RewardJudging.Judge(Response("3,8,10#10"), Sum, CharTokenizer.Instance, judge);
        Assert.Equal((0.0, false), (judged.Reward, judged.Correct));
        Assert.StartsWith("value-head: judge failed: ObjectDisposedException", judged.Reason);
    }

    [Fact]
    public void A_saved_judge_loads_back_to_the_same_verdicts()
    {
        var queries = new[] { new JudgeQuery("3+5+2=", "10", "3,8,10#10"), new JudgeQuery("1+1=", "2", "1,3#3"), new JudgeQuery("4 7 2>15:", "4*2+7", "#4*2+7") };
        foreach (var kind in new[] { ModelJudgeKind.ValueHead, ModelJudgeKind.ChainOfThought })
        {
            var dir = Path.Combine(_dir, kind.Name());
            using ModelJudge judge = kind == ModelJudgeKind.ValueHead ? ValueHead(3) : new ChainOfThoughtJudge(new LlamaForCausalLM(Config, 3), CharTokenizer.Instance, 16);
            judge.Save(dir);
            using var loaded = ModelJudge.Load(dir);
            Assert.Equal(kind, loaded.Kind);
            Assert.Equal(judge.Judge(queries), loaded.Judge(queries));
        }
    }

    [Fact]
    public void A_damaged_judge_folder_is_refused_naming_the_file_and_field()
    {
        var dir = Path.Combine(_dir, "vh");
        using (var judge = ValueHead()) judge.Save(dir);
        var manifest = Path.Combine(dir, JudgeManifest.FileName);
        var text = File.ReadAllText(manifest);

        File.WriteAllText(manifest, text.Replace("\"value-head\"", "\"oracle\""));
        var e = Assert.Throws<CheckpointException>(() => ModelJudge.Load(dir));
        Assert.StartsWith($"{manifest}: kind: unknown model judge 'oracle'", e.Message);

        File.WriteAllText(manifest, text.Replace("\"threshold\": 0.5", "\"threshold\": 1.5"));
        e = Assert.Throws<CheckpointException>(() => ModelJudge.Load(dir));
        Assert.StartsWith($"{manifest}: threshold: must be in (0, 1)", e.Message);

        File.WriteAllText(manifest, "{\"kind\": ");
        e = Assert.Throws<CheckpointException>(() => ModelJudge.Load(dir));
        Assert.StartsWith($"{manifest}: ", e.Message);
        Assert.Contains("invalid JSON", e.Message);

        File.WriteAllText(manifest, text);
        File.Delete(Path.Combine(dir, JudgeManifest.ValueHeadFile));
        e = Assert.Throws<CheckpointException>(() => ModelJudge.Load(dir));
        Assert.StartsWith($"{Path.Combine(dir, JudgeManifest.ValueHeadFile)}: missing", e.Message);

        File.Delete(manifest);
        e = Assert.Throws<CheckpointException>(() => ModelJudge.Load(dir));
        Assert.StartsWith($"{manifest}: missing: not a judge checkpoint", e.Message);
    }
}
