using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests;

/// <summary>
/// The GPU engine's pieces against references computed without them: fused q/k/v and gate/up against a forward pass
/// written from the separate Hugging Face tensors; the static KV cache against recomputing every step from the whole
/// sequence; top-p sampling on the device against libtorch's multinomial over the filtered distribution.
/// </summary>
public class FusedEngineTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;

    /// <summary>
    /// Llama/Qwen2 forward pass from Hugging Face's separate tensors, one operation at a time, no cache, no fusion:
    /// the definition the fused model must agree with.
    /// </summary>
    private static Tensor UnfusedLogits(ModelConfig c, Dictionary<string, Tensor> w, long[] ids)
    {
        int t = ids.Length, heads = c.NumAttentionHeads, kv = c.NumKeyValueHeads, d = c.HeadDim;
        Tensor Linear(Tensor x, string name) =>
            nn.functional.linear(x, w[name + ".weight"], w.TryGetValue(name + ".bias", out var b) ? b : null);
        Tensor Rms(Tensor x, string name) => x * (x.pow(2).mean([-1], keepdim: true) + c.RmsNormEps).rsqrt() * w[name];
        var inv = 1.0 / pow(c.RopeTheta, arange(0, d, 2, dtype: ScalarType.Float64) / d);
        var freqs = arange(t, dtype: ScalarType.Float64).unsqueeze(1) * inv.unsqueeze(0);
        var angles = cat([freqs, freqs], -1).to_type(ScalarType.Float32);
        var (cos, sin) = (angles.cos(), angles.sin());
        Tensor Rope(Tensor x) => x * cos + cat([-x.narrow(-1, d / 2, d / 2), x.narrow(-1, 0, d / 2)], -1) * sin;

        var h = w["model.embed_tokens.weight"].index_select(0, tensor(ids));
        var causal = ones(t, t).tril().to_type(ScalarType.Bool);
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            var x = Rms(h, p + "input_layernorm.weight");
            var q = Rope(Linear(x, p + "self_attn.q_proj").view(t, heads, d).transpose(0, 1));
            var k = Rope(Linear(x, p + "self_attn.k_proj").view(t, kv, d).transpose(0, 1)).repeat_interleave(heads / kv, 0);
            var v = Linear(x, p + "self_attn.v_proj").view(t, kv, d).transpose(0, 1).repeat_interleave(heads / kv, 0);
            var scores = q.matmul(k.transpose(1, 2)) / Math.Sqrt(d);
            var attn = scores.masked_fill(causal.logical_not(), double.NegativeInfinity).softmax(-1).matmul(v);
            h = h + Linear(attn.transpose(0, 1).reshape(t, heads * d), p + "self_attn.o_proj");
            x = Rms(h, p + "post_attention_layernorm.weight");
            h = h + Linear(nn.functional.silu(Linear(x, p + "mlp.gate_proj")) * Linear(x, p + "mlp.up_proj"), p + "mlp.down_proj");
        }
        h = Rms(h, "model.norm.weight");
        return nn.functional.linear(h, w.TryGetValue("lm_head.weight", out var head) ? head : w["model.embed_tokens.weight"]);
    }

    [Theory]
    [InlineData("llama", 2)]
    [InlineData("qwen2", 1)]
    public void Fused_qkv_and_gate_up_loaded_from_the_separate_tensors_give_the_unfused_logits(string family, int kvHeads)
    {
        var config = TinyModels.Config(tied: family == "llama", kvHeads: kvHeads) with
        {
            ModelType = family, Architectures = [family == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"],
        };
        using var model = new LlamaForCausalLM(config, seed: 5);
        model.eval();
        using var noGrad = no_grad();
        var separate = model.state_dict();
        // Hugging Face's names, its shapes: q/k/v and gate/up appear as the separate tensors a checkpoint holds.
        Assert.Equal([config.NumAttentionHeads * config.HeadDim, config.HiddenSize], separate["model.layers.0.self_attn.q_proj.weight"].shape);
        Assert.Equal([kvHeads * config.HeadDim, config.HiddenSize], separate["model.layers.1.self_attn.v_proj.weight"].shape);
        Assert.Equal([config.IntermediateSize, config.HiddenSize], separate["model.layers.1.mlp.up_proj.weight"].shape);
        Assert.DoesNotContain(separate.Keys, k => k.Contains("qkv_proj") || k.Contains("gate_up_proj"));
        if (family == "qwen2")
        {
            // Non-zero biases, so a bias in the wrong third of the fused one shows.
            foreach (var (name, t) in separate.Where(kv => kv.Key.EndsWith("_proj.bias"))) t.copy_(randn(t.shape, generator: new Generator(9)) * 0.1);
        }

        // Load separate tensors (as from a checkpoint) into the fused model: new random values through the views.
        var gen = new Generator(21);
        var loaded = separate.ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith("norm.weight") ? kv.Value.clone() : randn(kv.Value.shape, generator: gen) * 0.2);
        foreach (var (name, t) in separate) t.copy_(loaded[name]);

        long[] ids = [.. new[] { Tok.BosId }.Concat(Tok.Encode("12+30=42,7#")).Select(i => (long)i)];
        var fused = model.Forward(tensor(ids).unsqueeze(0), arange(ids.Length, dtype: ScalarType.Int64).unsqueeze(0), null)[0];
        var reference = UnfusedLogits(config, loaded, ids);
        float diff = (fused - reference).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"{family}: max |fused - unfused| = {diff}");
        Assert.True(reference.std().item<float>() > 0.1, "logits vary, so agreement means something");
    }

    [Fact]
    public void Static_cache_decoding_gives_the_tokens_and_log_probs_of_recomputing_the_whole_sequence()
    {
        using var model = TinyModels.Create(seed: 13);
        // Rows of different lengths (static cache, each row at its own position under its mask), two at a time, so rows are
        // refilled from the waiting ones mid-batch.
        var requests = new[] { "1+1=", "23+45+6=", "7=", "100+200+300+4=" }
            .Select(s => new GenerationRequest([Tok.BosId, .. Tok.Encode(s)], MaxResponseTokens: 9)).ToList();
        var result = BatchGenerator.Generate(model, requests, new GenerationOptions { Temperature = 0, MaxResponseTokens = 9, StopTokens = [-1], MaxBatchSize = 2 });
        using var noGrad = no_grad();
        for (int i = 0; i < requests.Count; i++)
        {
            var sequence = requests[i].Prompt.Select(t => (long)t).ToList();
            var r = result.Results[i];
            Assert.Equal(9, r.Tokens.Length);
            for (int k = 0; k < r.Tokens.Length; k++)
            {
                // The reference: the whole sequence so far, no cache.
                var logits = model.Forward(tensor(sequence.ToArray()).unsqueeze(0), arange(sequence.Count, dtype: ScalarType.Int64).unsqueeze(0), null)[0, -1];
                Assert.Equal(logits.argmax().item<long>(), r.Tokens[k]);
                Assert.Equal(logits.log_softmax(-1)[r.Tokens[k]].item<float>(), r.LogProbs[k], 1e-4);
                sequence.Add(r.Tokens[k]);
            }
        }
    }

    [Fact]
    public void Top_p_sampling_on_the_device_draws_libtorchs_multinomial_over_the_nucleus_for_a_seed()
    {
        var logits = randn([48, 77], generator: new Generator(8)) * 2;
        using var temperature = tensor(new[] { 0.9f });
        using var gen = new Generator(17);
        using var sampler = new DecodeSampler(greedy: false, topP: 0.8, temperature, gen);
        var (tokens, logProbs) = sampler.Sample(logits);

        // The reference: tempered probabilities sorted, the tokens past 0.8 of the mass zeroed, one multinomial draw.
        var probs = nn.functional.softmax(logits / 0.9, -1);
        var (sorted, order) = probs.sort(-1, descending: true);
        var kept = sorted.masked_fill((sorted.cumsum(-1) - sorted).gt(0.8), 0);
        var expected = order.gather(-1, kept.multinomial(1, generator: new Generator(17))).squeeze(-1);
        Assert.Equal(expected.data<long>().ToArray(), tokens.data<long>().ToArray());
        // Every drawn token is inside its row's nucleus; log-probs are the untempered policy's.
        var rank = order.argsort(-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1);
        var nucleus = kept.gt(0).sum(-1);
        Assert.True(rank.lt(nucleus).all().item<bool>());
        Assert.True(nn.functional.log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1).allclose(logProbs, atol: 1e-5));

        // Seeded: the same seed gives the same tokens, another seed others.
        using var again = new DecodeSampler(false, 0.8, temperature, new Generator(17));
        Assert.Equal(tokens.data<long>().ToArray(), again.Sample(logits).Tokens.data<long>().ToArray());
        using var other = new DecodeSampler(false, 0.8, temperature, new Generator(18));
        Assert.NotEqual(tokens.data<long>().ToArray(), other.Sample(logits).Tokens.data<long>().ToArray());
    }
}
