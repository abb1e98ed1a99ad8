using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>The transformer trunk: embeddings, decoder layers, final norm. Returns hidden states.</summary>
public sealed class LlamaModel : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face parameter names
    internal readonly Embedding embed_tokens;
    internal readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding rotary_emb;
#pragma warning restore IDE1006

    public LlamaModel(ModelConfig config) : base(nameof(LlamaModel))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        rotary_emb = new RotaryEmbedding(config);
        RegisterComponents();
    }

    public Tensor EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Token embeddings [B, T, hidden] of input ids [B, T].</summary>
    public Tensor Embed(Tensor inputIds) => embed_tokens.forward(inputIds);

    /// <summary>
    /// Recompute each layer's activations in the backward pass instead of keeping them (training only): memory for the
    /// activations of one layer instead of all, for about one more forward pass of compute.
    /// </summary>
    public bool ActivationCheckpointing { get; set; }

    /// <param name="inputEmbeds">Embeddings to run instead of the ids' own (an image prompt's, with patches spliced in).</param>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache, Tensor? inputEmbeds = null)
    {
        using var scope = NewDisposeScope();
        var h = inputEmbeds ?? embed_tokens.forward(inputIds);
        var (cos, sin) = rotary_emb.For(positionIds, h.dtype);
        bool checkpoint = ActivationCheckpointing && cache is null && training && is_grad_enabled();
        foreach (var layer in layers)
            h = checkpoint ? CheckpointedLayer.Run(layer, h, cos, sin, mask) : layer.Forward(h, cos, sin, mask, cache);
        return norm.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One decoder layer as an autograd function that keeps only its input: forward without a graph, backward by running
    /// the layer again with gradients on and back-propagating through that (the parameters' gradients accumulate there).
    /// </summary>
    private sealed class CheckpointedLayer : autograd.SingleTensorFunction<CheckpointedLayer>
    {
        public override string Name => nameof(CheckpointedLayer);

        public static Tensor Run(LlamaDecoderLayer layer, Tensor x, Tensor cos, Tensor sin, Tensor? mask) =>
            apply(layer, x, cos, sin, mask ?? (object)NoMask.Value);

        private sealed class NoMask
        {
            public static readonly NoMask Value = new();
        }

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (layer, x, cos, sin, mask) = ((LlamaDecoderLayer)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], vars[4] as Tensor);
            ctx.save_data("layer", layer);
            // Saved tensors stay alive until backward (the caller's dispose scope ends long before).
            ctx.save_for_backward(mask is null ? [x, cos, sin] : [x, cos, sin, mask]);
            using var noGrad = no_grad();
            return layer.Forward(x, cos, sin, mask, null);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var layer = (LlamaDecoderLayer)ctx.get_data("layer");
            var saved = ctx.get_saved_variables();
            Tensor? mask = saved.Count > 3 ? saved[3] : null;
            using var grad = enable_grad();
            var input = saved[0].detach().requires_grad_(true);
            var output = layer.Forward(input, saved[1], saved[2], mask, null);
            output.backward([gradOutput]);
            // One gradient per argument of Run: the layer, the input (its gradient), cos, sin and the mask (none).
            return [null!, input.grad!, null!, null!, null!];
        }
    }
}
