using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>The transformer trunk: embeddings, decoder layers, final norm. Returns hidden states.</summary>
public sealed class LlamaModel : nn.Module
{
#pragma warning disable IDE1006 // Hugging Face parameter names
    internal readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
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

    /// <param name="inputEmbeds">Embeddings to run instead of the ids' own (an image prompt's, with patches spliced in).</param>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor mask, KvCache? cache, Tensor? inputEmbeds = null)
    {
        using var scope = NewDisposeScope();
        var h = inputEmbeds ?? embed_tokens.forward(inputIds);
        var (cos, sin) = rotary_emb.For(positionIds, h.dtype);
        foreach (var layer in layers) h = layer.Forward(h, cos, sin, mask, cache);
        cache?.Advance((int)inputIds.shape[1]);
        return norm.forward(h).MoveToOuterDisposeScope();
    }
}
