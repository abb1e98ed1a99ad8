using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests;

public class GenerationTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;
    private static int[] Prompt(string s) => [Tok.BosId, .. Tok.Encode(s)];

    [Fact]
    public void Greedy_generation_equals_argmax_of_full_recomputation_at_every_step()
    {
        using var model = TinyModels.Create(seed: 11);
        var prompts = new[] { Prompt("3+4="), Prompt("12 7 9>40:"), Prompt("1=") };
        var opts = new GenerationOptions { Temperature = 0, MaxResponseTokens = 20, StopTokens = [Tok.EosId] };
        var batch = BatchGenerator.Generate(model, prompts.Select(p => new GenerationRequest(p)).ToList(), opts);
        using var noGrad = no_grad();
        for (int r = 0; r < prompts.Length; r++)
        {
            var seq = prompts[r].ToList();
            var res = batch.Results[r];
            for (int k = 0; k < res.Tokens.Length; k++)
            {
                var ids = tensor(seq.Select(t => (long)t).ToArray(), [1, seq.Count]);
                var logits = model.Forward(ids, arange(seq.Count, dtype: ScalarType.Int64).unsqueeze(0),
                    AttentionMasks.Causal(ones([1, seq.Count], dtype: ScalarType.Bool))).select(1, -1);
                Assert.Equal(logits.argmax(-1).item<long>(), res.Tokens[k]);
                var lp = nn.functional.log_softmax(logits, -1)[0, res.Tokens[k]].item<float>();
                Assert.Equal(lp, res.LogProbs[k], 1e-4);
                seq.Add(res.Tokens[k]);
            }
            Assert.True(res.StopReason == StopReason.Stop ? res.Tokens[^1] == Tok.EosId : res.Tokens.Length == 20);
        }
    }

    /// <summary>The log-prob of each response token by a full forward pass over the unpadded sequence, without a cache.</summary>
    private static float[] Recomputed(LlamaForCausalLM model, int[] prompt, int[] response)
    {
        using var noGrad = no_grad();
        using var scored = SequenceScorer.Score(model, [(prompt, response)]);
        return scored.LogProbs[0].data<float>().ToArray()[..response.Length];
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Dropping_finished_rows_from_the_cache_keeps_every_row_equal_to_recomputation(double temperature)
    {
        using var model = TinyModels.Create(seed: 13);
        // Eight rows of different prompt lengths (different left padding) whose limits end them one by one, so finished
        // rows are dropped from the batch and its KV cache several times while the others go on.
        var prompts = new[] { "1=", "3+4=", "12 7 9>40:", "5+5+5=", "8>", "2 3>6:", "9+9+9+9=", "0=" };
        var requests = prompts.Select((p, i) => new GenerationRequest(Prompt(p), MaxResponseTokens: 2 + 2 * i)).ToList();
        var options = new GenerationOptions { Temperature = temperature, MaxResponseTokens = 16, StopTokens = [-1], Seed = 3 };
        var batch = BatchGenerator.Generate(model, requests, options);

        for (int r = 0; r < prompts.Length; r++)
        {
            var res = batch.Results[r];
            Assert.Equal((2 + 2 * r, StopReason.MaxLength), (res.Tokens.Length, res.StopReason));
            // Every recorded log-prob is the one a cache-free forward pass gives the same tokens.
            var full = Recomputed(model, requests[r].Prompt, res.Tokens);
            for (int k = 0; k < res.Tokens.Length; k++)
                Assert.True(Math.Abs(full[k] - res.LogProbs[k]) < 1e-4, $"row {r} token {k}: cached {res.LogProbs[k]}, recomputed {full[k]}");
        }
        if (temperature == 0)
        {
            // Greedy rows are also the same tokens as each row decoded alone (no padding, no dropping).
            for (int r = 0; r < prompts.Length; r++)
                Assert.Equal(BatchGenerator.Generate(model, [requests[r]], options).Results[0].Tokens, batch.Results[r].Tokens);
        }
    }

    [Fact]
    public void Sampling_is_reproducible_for_a_seed_and_varies_across_seeds()
    {
        using var model = TinyModels.Create(seed: 5);
        var reqs = Enumerable.Range(0, 8).Select(_ => new GenerationRequest(Prompt("5+5="))).ToList();
        GenerationBatchResult Run(long seed) => BatchGenerator.Generate(model, reqs, new GenerationOptions { Temperature = 1, MaxResponseTokens = 12, Seed = seed });
        var a = Run(1); var b = Run(1); var c = Run(2);
        Assert.Equal(a.Results.Select(r => string.Join(",", r.Tokens)), b.Results.Select(r => string.Join(",", r.Tokens)));
        Assert.NotEqual(a.Results.Select(r => string.Join(",", r.Tokens)), c.Results.Select(r => string.Join(",", r.Tokens)));
        // An untrained model at temperature 1 gives distinct samples within the batch.
        Assert.True(a.Results.Select(r => string.Join(",", r.Tokens)).Distinct().Count() > 4);
    }

    [Fact]
    public void Top_p_restricts_sampling_to_the_nucleus()
    {
        using var model = TinyModels.Create(seed: 5);
        var reqs = Enumerable.Range(0, 16).Select(_ => new GenerationRequest(Prompt("9="))).ToList();
        var greedy = BatchGenerator.Generate(model, reqs, new GenerationOptions { Temperature = 0, MaxResponseTokens = 6 });
        // A nucleus smaller than the top token's probability is exactly greedy.
        var tiny = BatchGenerator.Generate(model, reqs, new GenerationOptions { Temperature = 1, TopP = 1e-6, MaxResponseTokens = 6, Seed = 9 });
        for (int i = 0; i < reqs.Count; i++) Assert.Equal(greedy.Results[i].Tokens, tiny.Results[i].Tokens);
    }

    [Fact]
    public void Token_budget_cuts_every_unfinished_row_and_is_never_exceeded()
    {
        using var model = TinyModels.Create(seed: 5);
        var reqs = Enumerable.Range(0, 6).Select(i => new GenerationRequest(Prompt($"{i}+1="))).ToList();
        var res = BatchGenerator.Generate(model, reqs, new GenerationOptions { Temperature = 1, MaxResponseTokens = 40, TokenBudget = 25, StopTokens = [9999] });
        Assert.True(res.NewTokens <= 25);
        Assert.Equal(res.NewTokens, res.Results.Sum(r => r.Tokens.Length));
        Assert.All(res.Results, r => Assert.Equal(StopReason.Budget, r.StopReason));
    }

    [Fact]
    public void Prefix_continues_a_response_exactly_as_uninterrupted_greedy_decoding()
    {
        using var model = TinyModels.Create(seed: 21);
        var prompt = Prompt("4 7 2>15:");
        var opts = new GenerationOptions { Temperature = 0, MaxResponseTokens = 30, StopTokens = [9999] };
        var whole = BatchGenerator.Generate(model, [new GenerationRequest(prompt)], opts).Results[0];
        var first = BatchGenerator.Generate(model, [new GenerationRequest(prompt)], opts with { TokenBudget = 11 }).Results[0];
        Assert.Equal(StopReason.Budget, first.StopReason);
        var rest = BatchGenerator.Generate(model, [new GenerationRequest(prompt, first.Tokens)], opts).Results[0];
        Assert.Equal(whole.Tokens, first.Tokens.Concat(rest.Tokens).ToArray());
        Assert.Equal(StopReason.MaxLength, rest.StopReason);
        Assert.Equal(30, first.Tokens.Length + rest.Tokens.Length);
    }

    private sealed class StopAfter(int n) : IRepeatDetector
    {
        public bool IsRepeating(IReadOnlyList<int> response) => response.Count >= n;
    }

    [Fact]
    public void Repeat_detector_ends_a_response()
    {
        using var model = TinyModels.Create(seed: 5);
        var res = BatchGenerator.Generate(model, [new GenerationRequest(Prompt("1+1="))],
            new GenerationOptions { Temperature = 0, MaxResponseTokens = 30, StopTokens = [9999], RepeatDetector = new StopAfter(7) });
        Assert.Equal(StopReason.Repeat, res.Results[0].StopReason);
        Assert.Equal(7, res.Results[0].Tokens.Length);
    }

    [Fact]
    public void Scorer_matches_generation_log_probs_and_masks_padding()
    {
        using var model = TinyModels.Create(seed: 13);
        var reqs = new[] { Prompt("2+2="), Prompt("3 5>15:"), Prompt("8=") }.Select(p => new GenerationRequest(p)).ToList();
        var gen = BatchGenerator.Generate(model, reqs, new GenerationOptions { Temperature = 1, MaxResponseTokens = 15, Seed = 3 });
        using var noGrad = no_grad();
        using var scored = SequenceScorer.Score(model, reqs.Select((r, i) => (r.Prompt, gen.Results[i].Tokens)).ToList());
        for (int i = 0; i < reqs.Count; i++)
        {
            var res = gen.Results[i];
            Assert.Equal(res.Tokens.Length, (int)scored.Mask[i].sum().item<float>());
            for (int k = 0; k < res.Tokens.Length; k++)
                Assert.Equal(res.LogProbs[k], scored.LogProbs[i, k].item<float>(), 1e-4);
            Assert.Equal(res.LogProbs.Sum(), scored.SequenceLogProbs()[i].item<float>(), 3);
        }
    }

    [Fact]
    public void Requests_beyond_max_positions_are_refused_with_a_clear_message()
    {
        using var model = TinyModels.Create();
        var e = Assert.Throws<ArgumentException>(() => BatchGenerator.Generate(model, [new GenerationRequest(Prompt("1+1="))],
            new GenerationOptions { MaxResponseTokens = 200 }));
        Assert.Contains("max_position_embeddings", e.Message);
    }
}
