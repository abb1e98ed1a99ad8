using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests;

public class LlamaForCausalLMTests
{
    [Fact]
    public void State_dict_uses_hugging_face_llama_names()
    {
        using var model = TinyModels.Create(tied: false);
        var names = model.state_dict().Keys.ToHashSet();
        string[] expected =
        [
            "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
            "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight",
            "model.layers.1.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight",
        ];
        foreach (var n in expected) Assert.Contains(n, names);
        Assert.Equal(3 + 2 * 9, names.Count); // embed, norm, lm_head + 9 per layer; rotary tables are not persistent
        Assert.Equal(new long[] { 2 * 8, 32 }, model.state_dict()["model.layers.0.self_attn.k_proj.weight"].shape); // GQA: 2 kv heads of head_dim 8
    }

    [Fact]
    public void Tied_embeddings_have_no_separate_head()
    {
        using var tied = TinyModels.Create(tied: true);
        using var untied = TinyModels.Create(tied: false);
        Assert.DoesNotContain("lm_head.weight", tied.state_dict().Keys);
        Assert.Equal(untied.ParameterCount() - 99 * 32, tied.ParameterCount());
    }

    [Fact]
    public void Same_seed_gives_same_weights_and_different_seed_does_not()
    {
        using var a = TinyModels.Create(seed: 3);
        using var b = TinyModels.Create(seed: 3);
        using var c = TinyModels.Create(seed: 4);
        var w = "model.layers.0.mlp.up_proj.weight";
        Assert.True(a.state_dict()[w].equal(b.state_dict()[w]).all().item<bool>());
        Assert.False(a.state_dict()[w].equal(c.state_dict()[w]).all().item<bool>());
    }

    [Fact]
    public void Kv_cache_decoding_gives_the_logits_of_full_recomputation()
    {
        using var model = TinyModels.Create();
        using var noGrad = no_grad();
        var tokens = CharTokenizer.Instance.Encode("3+5+2=3,8,10#10");
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
        var valid = ones([1, tokens.Length], dtype: ScalarType.Bool);
        var pos = arange(tokens.Length, dtype: ScalarType.Int64).unsqueeze(0);
        var full = model.Forward(ids, pos, AttentionMasks.Causal(valid));

        // A static cache with room to spare: decoding attends to all of it under each step's mask (as a CUDA graph does).
        int capacity = tokens.Length + 7;
        using var cache = new KvCache(model.Config, 1, capacity, CPU, ScalarType.Float32);
        const int prefill = 5;
        cache.ForPrefill(tensor(new long[] { 0 }));
        var first = model.Forward(ids.narrow(1, 0, prefill), pos.narrow(1, 0, prefill), null, cache);
        Assert.True(first.allclose(full.narrow(1, 0, prefill), rtol: 1e-5, atol: 1e-5));
        for (int t = prefill; t < tokens.Length; t++)
        {
            var at = tensor(new long[] { t });
            cache.ForDecode(at, capacity);
            var mask = arange(capacity, dtype: ScalarType.Int64).le(at).view(1, 1, 1, capacity);
            var step = model.Forward(ids.narrow(1, t, 1), pos.narrow(1, t, 1), mask, cache);
            var expected = full.narrow(1, t, 1);
            Assert.True(step.allclose(expected, rtol: 1e-5, atol: 1e-5),
                $"position {t}: max diff {(step - expected).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Left_padding_does_not_change_a_rows_logits()
    {
        using var model = TinyModels.Create();
        using var noGrad = no_grad();
        var tokens = CharTokenizer.Instance.Encode("7+1=");
        long[] alone = tokens.Select(t => (long)t).ToArray();
        var a = model.Forward(tensor(alone, [1, 4]), arange(4, dtype: ScalarType.Int64).unsqueeze(0),
            AttentionMasks.Causal(ones([1, 4], dtype: ScalarType.Bool)));
        long[] padded = [0, 0, 0, .. alone];
        var valid = tensor(new[] { false, false, false, true, true, true, true }, [1, 7]);
        var positions = tensor(new long[] { 0, 0, 0, 0, 1, 2, 3 }, [1, 7]);
        var b = model.Forward(tensor(padded, [1, 7]), positions, AttentionMasks.Causal(valid));
        Assert.False(b.isnan().any().item<bool>());
        Assert.True(a.allclose(b.narrow(1, 3, 4), rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Packed_documents_do_not_see_each_other()
    {
        using var model = TinyModels.Create();
        using var noGrad = no_grad();
        var d1 = CharTokenizer.Instance.Encode("1+2=3").Select(t => (long)t).ToArray();
        var d2 = CharTokenizer.Instance.Encode("4+4=8!").Select(t => (long)t).ToArray();
        Tensor Alone(long[] d) => model.Forward(tensor(d, [1, d.Length]), arange(d.Length, dtype: ScalarType.Int64).unsqueeze(0),
            AttentionMasks.Causal(ones([1, d.Length], dtype: ScalarType.Bool)));
        long[] row = [.. d1, .. d2, 0, 0];
        var seg = tensor(Enumerable.Repeat(1L, d1.Length).Concat(Enumerable.Repeat(2L, d2.Length)).Concat([0L, 0L]).ToArray(), [1, row.Length]);
        var pos = AttentionMasks.PackedPositions([[d1.Length, d2.Length]], row.Length, CPU);
        var packed = model.Forward(tensor(row, [1, row.Length]), pos, AttentionMasks.Packed(seg));
        Assert.True(packed.narrow(1, 0, d1.Length).allclose(Alone(d1), rtol: 1e-5, atol: 1e-5));
        Assert.True(packed.narrow(1, d1.Length, d2.Length).allclose(Alone(d2), rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Invalid_config_names_the_field()
    {
        var bad = TinyModels.Config() with { NumKeyValueHeads = 3 };
        var e = Assert.Throws<ArgumentException>(() => new LlamaForCausalLM(bad));
        Assert.Contains("num_key_value_heads", e.Message);
        var json = TinyModels.Config().ToJson();
        Assert.Equal(TinyModels.Config().VocabSize, ModelConfig.FromJson(json).VocabSize);
        var e2 = Assert.Throws<ArgumentException>(() => ModelConfig.FromJson("{\"vocab_size\": 0}", "ckpt/config.json"));
        Assert.Contains("ckpt/config.json", e2.Message);
        Assert.Contains("vocab_size", e2.Message);
    }
}
