using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Decoder-only causal language model (RMSNorm, rotary positions, SwiGLU, grouped-query attention,
/// optionally tied embeddings) in the shape of Hugging Face's Llama, Qwen2 and Qwen3 (see <see cref="ModelConfig"/>).
/// The state dict uses Hugging Face's names (<c>model.layers.0.self_attn.q_proj.weight</c>, ...), so state dicts move
/// between this and <c>transformers</c> unchanged, although q/k/v and gate/up are each one fused parameter inside.
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

    /// <summary>
    /// Hugging Face's Llama initialisation: N(0, initializer_range) for every matrix, ones for norms, zero biases, drawn
    /// in Hugging Face's parameter order (q, k, v before o; gate before up), so a seed gives the weights it always gave.
    /// </summary>
    private void InitWeights(long? seed)
    {
        using var noGrad = no_grad();
        var gen = seed is { } s ? new Generator((ulong)s) : null;
        foreach (var (name, p) in state_dict())
        {
            if (name.EndsWith("layernorm.weight") || name.EndsWith("norm.weight")) p.fill_(1.0);
            else if (name.EndsWith(".bias")) p.zero_();
            else p.normal_(0.0, Config.InitializerRange, generator: gen);
        }
    }

    /// <summary>See <see cref="LlamaModel.ActivationCheckpointing"/>.</summary>
    public bool ActivationCheckpointing
    {
        get => model.ActivationCheckpointing;
        set => model.ActivationCheckpointing = value;
    }

    /// <summary>
    /// Logits [B, T, vocab] for input ids [B, T] at positions [B, T] under boolean mask [B, 1, T, S] (null: causal over
    /// unpadded or right-padded rows).
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        return Logits(Hidden(inputIds, positionIds, mask, cache)).MoveToOuterDisposeScope();
    }

    /// <summary>The final hidden states [B, T, hidden] (normed): <see cref="Logits"/> of a subset is cheaper than all logits.</summary>
    public Tensor Hidden(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache = null) =>
        model.Forward(inputIds, positionIds, mask, cache);

    /// <summary>Logits of hidden states [..., hidden] (the tied embedding or lm_head).</summary>
    public Tensor Logits(Tensor hidden) => lm_head is null ? nn.functional.linear(hidden, model.EmbeddingWeight) : lm_head.forward(hidden);

    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>This model's decoding batches and graphs (<see cref="Generation.DecodeEngine"/>), made on first use.</summary>
    internal Generation.DecodeEngine? Decoder { get; set; }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Decoder?.Dispose();
            Decoder = null;
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// Hugging Face's state dict: the fused projections appear as their parts (views into the fused parameters, so
    /// loading into them loads the model and saving them saves it), in Hugging Face's order.
    /// </summary>
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        var fused = base.state_dict(null, prefix);
        destination ??= new Dictionary<string, Tensor>();
        int layer = -1;
        foreach (var (name, t) in fused)
        {
            if (name.EndsWith("self_attn.qkv_proj.weight") || name.EndsWith("self_attn.qkv_proj.bias"))
            {
                string stem = name[..name.IndexOf("qkv_proj", StringComparison.Ordinal)], part = name.EndsWith(".weight") ? "weight" : "bias";
                layer = int.Parse(name.Split('.')[^4]);
                var (q, kv) = model.layers[layer].self_attn.Split;
                destination[$"{stem}q_proj.{part}"] = t.narrow(0, 0, q);
                destination[$"{stem}k_proj.{part}"] = t.narrow(0, q, kv);
                destination[$"{stem}v_proj.{part}"] = t.narrow(0, q + kv, kv);
            }
            else if (name.EndsWith("mlp.gate_up_proj.weight") || name.EndsWith("mlp.gate_up_proj.bias"))
            {
                string stem = name[..name.IndexOf("gate_up_proj", StringComparison.Ordinal)], part = name.EndsWith(".weight") ? "weight" : "bias";
                long half = t.shape[0] / 2;
                destination[$"{stem}gate_proj.{part}"] = t.narrow(0, 0, half);
                destination[$"{stem}up_proj.{part}"] = t.narrow(0, half, half);
            }
            else destination[name] = t;
        }
        return destination;
    }
}
