using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Vision;

/// <summary>
/// Patch embedding: a convolution with kernel and stride of one patch turns [N, 3, S, S] into [N, P, hidden], plus a
/// learned embedding per patch position (the encoder has no rotary positions).
/// </summary>
public sealed class VisionEmbeddings : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Hugging Face (SigLIP) parameter names
    private readonly Conv2d patch_embedding;
    private readonly Parameter position_embedding;
#pragma warning restore IDE1006

    public VisionEmbeddings(VisionConfig config) : base(nameof(VisionEmbeddings))
    {
        patch_embedding = nn.Conv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize);
        position_embedding = new Parameter(zeros(config.TokensPerImage, config.HiddenSize));
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var patches = patch_embedding.forward(pixels).flatten(2).transpose(1, 2); // [N, P, hidden]
        return (patches + position_embedding).MoveToOuterDisposeScope();
    }
}

/// <summary>Multi-head self-attention over the patches of each image (bidirectional; padded patches masked as keys).</summary>
public sealed class VisionAttention : nn.Module
{
#pragma warning disable IDE1006
    private readonly Linear q_proj, k_proj, v_proj, out_proj;
#pragma warning restore IDE1006
    private readonly int _heads, _headDim;

    public VisionAttention(VisionConfig config) : base(nameof(VisionAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HiddenSize / config.NumAttentionHeads;
        q_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        k_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        v_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        out_proj = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <param name="mask">boolean [N, 1, P, P], true where a patch may attend to another; null: every patch sees every patch.</param>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], p = x.shape[1];
        Tensor Heads(Linear proj) => proj.forward(x).view(n, p, _heads, _headDim).transpose(1, 2);
        var o = nn.functional.scaled_dot_product_attention(Heads(q_proj), Heads(k_proj), Heads(v_proj), attn_mask: mask);
        return out_proj.forward(o.transpose(1, 2).reshape(n, p, _heads * _headDim)).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm encoder block: x + attn(norm(x)), then + mlp(norm(x)) with GELU.</summary>
public sealed class VisionEncoderLayer : nn.Module
{
#pragma warning disable IDE1006
    private readonly LayerNorm layer_norm1, layer_norm2;
    private readonly VisionAttention self_attn;
    private readonly GeluMlp mlp;
#pragma warning restore IDE1006

    public VisionEncoderLayer(VisionConfig config) : base(nameof(VisionEncoderLayer))
    {
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        self_attn = new VisionAttention(config);
        mlp = new GeluMlp(config.HiddenSize, config.IntermediateSize, config.HiddenSize);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.Forward(layer_norm1.forward(x), mask);
        return (h + mlp.forward(layer_norm2.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Two linear layers with a GELU between: the encoder blocks' MLP (<c>fc1</c>, <c>fc2</c>, SigLIP's names) and the
/// projector onto the decoder (<c>linear_1</c>, <c>linear_2</c>, LLaVA's); the names are the parameters' in checkpoints.
/// </summary>
public sealed class GeluMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear _first, _second;

    public GeluMlp(int input, int hidden, int output, string first = "fc1", string second = "fc2") : base(nameof(GeluMlp))
    {
        _first = nn.Linear(input, hidden);
        _second = nn.Linear(hidden, output);
        register_module(first, _first);
        register_module(second, _second);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return _second.forward(nn.functional.gelu(_first.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>The ViT: embeddings, encoder blocks, final LayerNorm. [N, 3, S, S] pixels to [N, P, vision hidden].</summary>
public sealed class VisionTransformer : nn.Module
{
#pragma warning disable IDE1006
    private readonly VisionEmbeddings embeddings;
    private readonly ModuleList<VisionEncoderLayer> layers;
    private readonly LayerNorm post_layernorm;
#pragma warning restore IDE1006

    public VisionTransformer(VisionConfig config) : base(nameof(VisionTransformer))
    {
        embeddings = new VisionEmbeddings(config);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new VisionEncoderLayer(config)).ToArray());
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    /// <param name="patchValid">[N, P], true for patches with content; null when no image is padded.</param>
    public Tensor Forward(Tensor pixels, Tensor? patchValid)
    {
        using var scope = NewDisposeScope();
        var h = embeddings.forward(pixels);
        Tensor? mask = null;
        if (patchValid is not null)
        {
            // Every patch attends to the image's content patches only, and always to itself (no row is empty, see AttentionMasks).
            long p = patchValid.shape[1];
            var self = eye(p, dtype: ScalarType.Bool, device: patchValid.device).unsqueeze(0);
            mask = patchValid.unsqueeze(1).expand(-1, p, -1).logical_or(self).unsqueeze(1);
        }
        foreach (var layer in layers) h = layer.Forward(h, mask);
        return post_layernorm.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The policy's <c>vision_tower</c> (LLaVA's name): the ViT under <c>vision_model</c>. Its patch features go through
/// the projector (a <see cref="GeluMlp"/>) onto the decoder's width.
/// </summary>
public sealed class VisionEncoder : nn.Module
{
#pragma warning disable IDE1006
    private readonly VisionTransformer vision_model;
#pragma warning restore IDE1006

    public VisionEncoder(VisionConfig config) : base(nameof(VisionEncoder))
    {
        vision_model = new VisionTransformer(config);
        RegisterComponents();
    }

    /// <summary>Patch features [N, P, vision hidden] of a batch of images.</summary>
    public Tensor Forward(ImageBatch images) => vision_model.Forward(images.Pixels, images.PatchValid);
}
