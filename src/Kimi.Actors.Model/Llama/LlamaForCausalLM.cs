using TorchSharp;
using TorchSharp.Modules;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>
/// Decoder-only causal language model (RMSNorm, rotary positions, SwiGLU, grouped-query attention,
/// optionally tied embeddings) in the shape of Hugging Face's Llama, Qwen2 and Qwen3 (see <see cref="ModelConfig"/>).
/// Parameter names are Hugging Face's (<c>model.layers.0.self_attn.q_proj.weight</c>, ...)
/// so state dicts move between this and <c>transformers</c> unchanged. With a <c>vision_config</c> the policy also holds
/// an image encoder (<c>vision_tower.*</c>, <c>multi_modal_projector.*</c>, LLaVA's names) whose patch embeddings replace
/// the image placeholder tokens of a prompt; the placeholder itself is never predicted (its logit is -inf).
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

    /// <summary>Hugging Face's Llama initialisation: N(0, initializer_range) for every matrix, ones for norms.</summary>
    private void InitWeights(long? seed)
    {
        using var noGrad = no_grad();
        var gen = seed is { } s ? new Generator((ulong)s) : null;
        foreach (var (name, p) in named_parameters())
        {
            // A norm's scale: model.norm, input_layernorm, q_norm, the encoder's layer_norm1, post_layernorm.
            string module = name.EndsWith(".weight") ? name[..^".weight".Length] : "";
            if (module[(module.LastIndexOf('.') + 1)..].Contains("norm")) p.fill_(1.0);
            else if (name.EndsWith(".bias")) p.zero_();
            else p.normal_(0.0, Config.InitializerRange, generator: gen);
        }
    }

    /// <summary>
    /// Logits [B, T, vocab] for input ids [B, T] at positions [B, T] under boolean mask [B, 1, T, S]. With
    /// <paramref name="images"/>, their patch embeddings replace the ids' image placeholders, in order (row by row, left
    /// to right); positions and masks treat those tokens like any other, so a prefill with images and a cache makes
    /// every later step attend to them.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor mask, KvCache? cache = null, ImageBatch? images = null)
    {
        using var scope = NewDisposeScope();
        var embeds = images is null ? null : EmbedWithImages(inputIds, images);
        var h = model.Forward(inputIds, positionIds, mask, cache, embeds);
        var logits = lm_head is null ? nn.functional.linear(h, model.EmbeddingWeight) : lm_head.forward(h);
        if (Config.Vision is { } vision)
        {
            using var placeholder = tensor(new long[] { vision.ImageTokenId }, device: logits.device);
            logits = logits.index_fill(-1, placeholder, float.NegativeInfinity);
        }
        return logits.MoveToOuterDisposeScope();
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
}
