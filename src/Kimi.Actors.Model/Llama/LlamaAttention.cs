using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Grouped-query self-attention with rotary embeddings and an optional KV cache. The families differ only in biases
/// (Qwen2: q/k/v) and Qwen3's per-head RMSNorm of queries and keys before the rotation. Queries, keys and values come
/// from one fused projection (Hugging Face's q_proj, k_proj and v_proj stacked; <see cref="LlamaForCausalLM.state_dict"/>
/// shows them under their own names), so a layer runs one matrix product where it would run three.
/// </summary>
public sealed class LlamaAttention : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face parameter names
    private readonly Linear qkv_proj, o_proj;
    private readonly RmsNorm? q_norm, k_norm;
#pragma warning restore IDE1006
    private readonly int _heads, _kvHeads, _headDim, _layer;

    /// <summary>Output rows of q_proj, k_proj and v_proj within the fused projection.</summary>
    internal (long Q, long Kv) Split => (_heads * _headDim, _kvHeads * _headDim);

    public LlamaAttention(ModelConfig config, int layer) : base(nameof(LlamaAttention))
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _layer = layer;
        qkv_proj = nn.Linear(config.HiddenSize, (_heads + 2 * _kvHeads) * _headDim, hasBias: config.QkvBias);
        o_proj = nn.Linear(_heads * _headDim, config.HiddenSize, hasBias: config.OutputBias);
        if (config.QkNorm)
        {
            q_norm = new RmsNorm(_headDim, config.RmsNormEps);
            k_norm = new RmsNorm(_headDim, config.RmsNormEps);
        }
        RegisterComponents();
    }

    /// <param name="x">[B, T, hidden]</param>
    /// <param name="cos">[B, 1, T, head_dim]</param>
    /// <param name="sin">[B, 1, T, head_dim]</param>
    /// <param name="mask">
    /// boolean [B, 1, T, S], true where a query may attend to a key; null: causal over the T tokens (unpadded or
    /// right-padded rows, where padding only ever follows what a real token sees).
    /// </param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var (qSize, kvSize) = Split;
        // split (one gradient write in backward) rather than narrows (a zero-filled fused-width gradient each); see LlamaMlp.
        var qkv = qkv_proj.forward(x).split([qSize, kvSize, kvSize], -1);
        var q = qkv[0].view(b, t, _heads, _headDim);
        var k = qkv[1].view(b, t, _kvHeads, _headDim);
        var v = qkv[2].view(b, t, _kvHeads, _headDim).transpose(1, 2);
        if (q_norm is not null) q = q_norm.forward(q);
        if (k_norm is not null) k = k_norm.forward(k);
        q = RotaryEmbedding.Apply(q.transpose(1, 2), cos, sin);
        k = RotaryEmbedding.Apply(k.transpose(1, 2), cos, sin);

        Tensor o;
        if (cache is { Decoding: true })
        {
            if (t != 1 || mask is null) throw new ArgumentException("a decoding pass takes one token per row and a mask");
            var (keys, values) = cache.WriteStep(_layer, k, v);
            // The query heads that share a key/value head become that head's queries: [B, kv, groups, D] against
            // [B, kv, S, D], so grouped-query attention reads each cached key once instead of copying it per group.
            int groups = _heads / _kvHeads;
            o = nn.functional.scaled_dot_product_attention(q.reshape(b, _kvHeads, groups, _headDim), keys, values, attn_mask: mask)
                .reshape(b, _heads, 1, _headDim);
        }
        else
        {
            cache?.WritePrefill(_layer, k, v);
            if (_kvHeads != _heads)
            {
                int groups = _heads / _kvHeads;
                k = k.repeat_interleave(groups, dim: 1);
                v = v.repeat_interleave(groups, dim: 1);
            }
            o = mask is null
                ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
                : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        }
        o = o.transpose(1, 2).reshape(b, t, _heads * _headDim);
        return o_proj.forward(o).MoveToOuterDisposeScope();
    }
}
