using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kimi.Actors.Model;

/// <summary>
/// Architecture of a decoder-only policy. Property names follow Hugging Face's Llama <c>config.json</c>
/// so a checkpoint written here loads in <c>transformers</c> as <c>LlamaForCausalLM</c> and back.
/// </summary>
public sealed record ModelConfig
{
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["LlamaForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llama";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 128;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 344;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 4;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 4;
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; init; } = 2;
    [JsonPropertyName("head_dim")] public int? HeadDimOverride { get; init; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 256;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; } = 1;
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; } = 2;
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; init; } = "float32";

    [JsonIgnore] public int HeadDim => HeadDimOverride ?? HiddenSize / NumAttentionHeads;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public ModelConfig Validate()
    {
        static void Require(bool ok, string field, string message)
        {
            if (!ok) throw new ArgumentException($"model config field '{field}': {message}");
        }
        Require(VocabSize > 0, "vocab_size", $"must be positive, got {VocabSize}");
        Require(HiddenSize > 0, "hidden_size", $"must be positive, got {HiddenSize}");
        Require(IntermediateSize > 0, "intermediate_size", $"must be positive, got {IntermediateSize}");
        Require(NumHiddenLayers > 0, "num_hidden_layers", $"must be positive, got {NumHiddenLayers}");
        Require(NumAttentionHeads > 0, "num_attention_heads", $"must be positive, got {NumAttentionHeads}");
        Require(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0, "num_key_value_heads",
            $"must divide num_attention_heads ({NumAttentionHeads}), got {NumKeyValueHeads}");
        Require(HeadDimOverride is not null || HiddenSize % NumAttentionHeads == 0, "hidden_size",
            $"must be a multiple of num_attention_heads ({NumAttentionHeads}), got {HiddenSize}");
        Require(HeadDim % 2 == 0, "head_dim", $"rotary embeddings need an even head dimension, got {HeadDim}");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings", $"must be positive, got {MaxPositionEmbeddings}");
        Require(RopeTheta > 0, "rope_theta", $"must be positive, got {RopeTheta}");
        Require(HiddenAct == "silu", "hidden_act", $"only 'silu' (SwiGLU) is supported, got '{HiddenAct}'");
        foreach (var (field, id) in new[] { ("pad_token_id", PadTokenId), ("bos_token_id", BosTokenId), ("eos_token_id", EosTokenId) })
            Require(id >= 0 && id < VocabSize, field, $"must be a token id below vocab_size ({VocabSize}), got {id}");
        return this;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ModelConfig FromJson(string json, string source = "config.json")
    {
        ModelConfig? config;
        try { config = JsonSerializer.Deserialize<ModelConfig>(json); }
        catch (JsonException e) { throw new ArgumentException($"{source}: invalid model config: {e.Message}", e); }
        if (config is null) throw new ArgumentException($"{source}: empty model config");
        try { return config.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
    }
}
