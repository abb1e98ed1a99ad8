using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Host.Tests;

/// <summary><c>kimi curate</c> end to end with a tiny untrained checkpoint: formats dropped, difficulty and domain tags written, the report printed.</summary>
public sealed class CurateCommandTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Curate_writes_the_kept_prompts_and_prints_coverage_and_difficulty()
    {
        var checkpoint = Path.Combine(_tmp.Path, "ckpt");
        using (var model = new LlamaForCausalLM(CharTokenizer.Instance.Apply(new ModelConfig
        {
            HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 96,
        }), 3))
            PolicyCheckpoint.Save(checkpoint, model);
        var input = Path.Combine(_tmp.Path, "in.jsonl");
        var sums = Enumerable.Range(0, 6).Select(i => new SumTask().Generate(new Random(i), 1, $"s{i}")).ToList();
        PromptSet.Write(input, [.. sums,
            new PromptRecord("mc", "Pick: (A) 1 (B) 2", "A", "math", 1, []),
            new PromptRecord("tf", "Is 2 even?", "yes", "math", 1, []),
            new PromptRecord("pf", "Prove that 1 < 2.", "ok", "math", 1, [])]);
        var output = Path.Combine(_tmp.Path, "out.jsonl");

        var r = CliRunner.Run("curate", "--in", input, "--out", output, "--checkpoint", checkpoint, "--samples", "4", "--guesses", "2", "--max-response-tokens", "16");
        Assert.True(r.ExitCode == 0, r.ToString());
        var kept = PromptSet.Load(output);
        Assert.DoesNotContain(kept, p => p.Id is "mc" or "tf" or "pf");
        Assert.All(kept, p => Assert.Contains("domain:arithmetic", p.Tags));
        Assert.All(kept, p => Assert.InRange(p.Difficulty, 1, 10));
        Assert.All(kept, p => Assert.True(p.Extra!.ContainsKey("pass_rate")));
        Assert.Contains("kept prompts per difficulty", r.Stdout);
        Assert.Matches(@"(?m)^all\s+9\s+3\s", r.Stdout);
        Assert.Contains("dropped mc: format: multiple-choice", r.Stdout);

        var bad = CliRunner.Run("curate", "--in", Path.Combine(_tmp.Path, "missing.jsonl"), "--out", output, "--checkpoint", checkpoint);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("missing.jsonl", bad.Stderr);
    }
}
