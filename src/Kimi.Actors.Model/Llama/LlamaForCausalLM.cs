using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Decoder-only causal language model (RMSNorm, rotary positions, SwiGLU, grouped-query attention,
/// optionally tied embeddings) in the shape of Hugging Face's Llama, Qwen2 and Qwen3 (see <see cref="ModelConfig"/>).
/// Parameter names are Hugging Face's (<c>model.layers.0.self_attn.q_proj.weight</c>, ...)
/// so state dicts move between this and <c>transformers</c> unchanged.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face parameter names
    private readonly LlamaModel model;
    private readonly Linear? lm_head;
#pragma warning restore IDE1006

    public ModelConfig Config { get; }

    /// <summary>The folder this model was loaded from, if any: saving writes that folder's layout back (see PolicyCheckpoint.Save).</summary>
    public Checkpoints.PretrainedFolder? Pretrained { get; set; }

    public LlamaForCausalLM(ModelConfig config, long? seed = null) : base(nameof(LlamaForCausalLM))
    {
        Config = config.Validate();
        model = new LlamaModel(config);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitWeights(seed);
    }

    /// <summary>Hugging Face's Llama initialisation: N(0, initializer_range) for every matrix, ones for norms.</summary>
    private void InitWeights(long? seed)
    {
        using var noGrad = no_grad();
        var gen = seed is { } s ? new Generator((ulong)s) : null;
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("layernorm.weight") || name.EndsWith("norm.weight")) p.fill_(1.0);
            else if (name.EndsWith(".bias")) p.zero_();
            else p.normal_(0.0, Config.InitializerRange, generator: gen);
        }
    }

    /// <summary>Logits [B, T, vocab] for input ids [B, T] at positions [B, T] under boolean mask [B, 1, T, S].</summary>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor mask, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var h = model.Forward(inputIds, positionIds, mask, cache);
        var logits = lm_head is null ? nn.functional.linear(h, model.EmbeddingWeight) : lm_head.forward(h);
        return logits.MoveToOuterDisposeScope();
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());
}
