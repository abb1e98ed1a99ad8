using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>Pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face parameter names
    internal readonly LlamaAttention self_attn;
    internal readonly LlamaMlp mlp;
    private readonly RmsNorm input_layernorm, post_attention_layernorm;
#pragma warning restore IDE1006

    public LlamaDecoderLayer(ModelConfig config, int layer) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(config, layer);
        mlp = new LlamaMlp(config);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.Forward(input_layernorm.forward(x), cos, sin, mask, cache);
        return (h + mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}
