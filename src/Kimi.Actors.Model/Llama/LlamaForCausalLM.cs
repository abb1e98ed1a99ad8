using TorchSharp;
using TorchSharp.Modules;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Decoder-only causal language model (RMSNorm, rotary positions, SwiGLU, grouped-query attention,
/// optionally tied embeddings) in the shape of Hugging Face's Llama, Qwen2 and Qwen3 (see <see cref="ModelConfig"/>).
/// The state dict uses Hugging Face's names (<c>model.layers.0.self_attn.q_proj.weight</c>, ...), so state dicts move
/// between this and <c>transformers</c> unchanged, although q/k/v and gate/up are each one fused parameter inside. With a
/// <c>vision_config</c> the policy also holds an image encoder (<c>vision_tower.*</c>, <c>multi_modal_projector.*</c>,
/// LLaVA's names) whose patch embeddings replace the image placeholder tokens of a prompt; the placeholder itself is
/// never predicted (its logit is -inf).
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face parameter names
    private readonly LlamaModel model;
    private readonly Linear? lm_head;
    private readonly VisionEncoder? vision_tower;
    private readonly GeluMlp? multi_modal_projector;
#pragma warning restore IDE1006

    public ModelConfig Config { get; }

    /// <summary>The folder this model was loaded from, if any: saving writes that folder's layout back (see PolicyCheckpoint.Save).</summary>
    public Checkpoints.PretrainedFolder? Pretrained { get; set; }

    public LlamaForCausalLM(ModelConfig config, long? seed = null) : base(nameof(LlamaForCausalLM))
    {
        Config = config.Validate();
        model = new LlamaModel(config);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        if (config.Vision is { } vision)
        {
            vision_tower = new VisionEncoder(vision);
            // LLaVA's projector onto the decoder's width.
            multi_modal_projector = new GeluMlp(vision.HiddenSize, config.HiddenSize, config.HiddenSize, "linear_1", "linear_2");
        }
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
            // A norm's scale: model.norm, input_layernorm, q_norm, the encoder's layer_norm1, post_layernorm.
            string module = name.EndsWith(".weight") ? name[..^".weight".Length] : "";
            if (module[(module.LastIndexOf('.') + 1)..].Contains("norm")) p.fill_(1.0);
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
    /// unpadded or right-padded rows). With <paramref name="images"/>, their patch embeddings replace the ids' image
    /// placeholders, in order (row by row, left to right); positions and masks treat those tokens like any other, so a
    /// prefill with images and a cache makes every later step attend to them.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache = null, ImageBatch? images = null)
    {
        using var scope = NewDisposeScope();
        return Logits(Hidden(inputIds, positionIds, mask, cache, images)).MoveToOuterDisposeScope();
    }

    /// <summary>The final hidden states [B, T, hidden] (normed): <see cref="Logits"/> of a subset is cheaper than all logits.</summary>
    public Tensor Hidden(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache = null, ImageBatch? images = null)
    {
        if (images is null) return model.Forward(inputIds, positionIds, mask, cache);
        using var scope = NewDisposeScope();
        return model.Forward(inputIds, positionIds, mask, cache, EmbedWithImages(inputIds, images)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Logits of hidden states [..., hidden] (the tied embedding or lm_head); a vision policy's image placeholder gets -inf
    /// (in place on the fresh logits, with no host copy, so a captured decode step can run it).
    /// </summary>
    public Tensor Logits(Tensor hidden)
    {
        var logits = lm_head is null ? nn.functional.linear(hidden, model.EmbeddingWeight) : lm_head.forward(hidden);
        if (Config.Vision is { } vision) logits.narrow(-1, vision.ImageTokenId, 1).fill_(float.NegativeInfinity);
        return logits;
    }

    /// <summary>The ids' embeddings [B, T, hidden] with each image placeholder replaced by its patch's projected features.</summary>
    /// <exception cref="ArgumentException">No vision encoder, or placeholders that do not match the images.</exception>
    public Tensor EmbedWithImages(Tensor inputIds, ImageBatch images)
    {
        var vision = Config.Vision ?? throw new ArgumentException("this policy has no vision encoder (its config has no vision_config) but was given images");
        using var scope = NewDisposeScope();
        var embeds = model.Embed(inputIds);
        using var id = vision.ImageTokenId.ToScalar();
        var placeholders = inputIds.eq(id);
        long found = placeholders.sum().item<long>(), expected = (long)images.Count * vision.TokensPerImage;
        if (found != expected)
            throw new ArgumentException($"{found} image placeholder tokens for {images.Count} image(s) of {vision.TokensPerImage} patches: expected {expected}");
        var features = EncodeImages(images).to_type(embeds.dtype);
        return embeds.masked_scatter(placeholders.unsqueeze(-1).expand_as(embeds), features.reshape(-1, embeds.shape[2])).MoveToOuterDisposeScope();
    }

    /// <summary>The images' patch embeddings in the decoder's space, [N, patches per image, hidden].</summary>
    public Tensor EncodeImages(ImageBatch images)
    {
        if (vision_tower is null) throw new ArgumentException("this policy has no vision encoder (its config has no vision_config) but was given images");
        using var scope = NewDisposeScope();
        return multi_modal_projector!.forward(vision_tower.Forward(images)).MoveToOuterDisposeScope();
    }

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
