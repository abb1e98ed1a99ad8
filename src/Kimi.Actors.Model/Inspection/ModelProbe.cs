using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Inspection;

/// <summary>What <c>kimi model info</c> reports about a model folder.</summary>
public sealed record ModelInfo(
    string Architecture, string ModelType, long Parameters, string Dtype, int VocabSize, int TokenizerVocabSize,
    int Layers, int HiddenSize, int AttentionHeads, int KeyValueHeads, int HeadDim, bool TiedEmbeddings,
    IReadOnlyDictionary<string, int> SpecialTokens, string? BosToken, string EosToken, string? PadToken,
    IReadOnlyList<int> StopTokenIds, bool HasChatTemplate);

/// <summary>Reads a model the way the parity checks against transformers do.</summary>
public static class ModelProbe
{
    /// <summary>The logits at the last position of one unpadded sequence, as float32.</summary>
    public static float[] LastLogits(LlamaForCausalLM model, IReadOnlyList<int> ids)
    {
        if (ids.Count == 0) throw new ArgumentException("no tokens to score (the text encodes to nothing)");
        if (ids.Count > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"{ids.Count} tokens exceed max_position_embeddings ({model.Config.MaxPositionEmbeddings})");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = model.parameters().First().device;
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: device);
        var positions = arange(ids.Count, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        var logits = model.Forward(input, positions, null);
        return logits[0, -1].to_type(ScalarType.Float32).cpu().data<float>().ToArray();
    }

    public static ModelInfo Describe(LlamaForCausalLM model, HfTokenizer tokenizer)
    {
        var c = model.Config;
        return new ModelInfo(
            c.Architectures.FirstOrDefault() ?? ModelConfig.SupportedArchitectures[c.ModelType], c.ModelType, model.ParameterCount(),
            model.parameters().First().dtype.ToString().ToLowerInvariant(), c.VocabSize, tokenizer.VocabSize,
            c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.TieWordEmbeddings,
            tokenizer.SpecialTokens, tokenizer.BosToken, tokenizer.EosToken, tokenizer.PadToken,
            model.Pretrained?.StopTokenIds ?? c.EosTokenIds?.Ids ?? [tokenizer.EosId], tokenizer.ChatTemplate is not null);
    }
}
