using System.Text.Json;
using System.Text.Json.Serialization;
using Kimi.Actors.Model.Vision;

namespace Kimi.Actors.Model;

/// <summary>
/// Architecture of a decoder-only policy. Property names follow Hugging Face's <c>config.json</c> for the Llama,
/// Qwen2 and Qwen3 families (as <c>transformers</c> 4.x and 5.x write it: <c>rope_parameters</c> next to or instead
/// of <c>rope_theta</c>, <c>dtype</c> next to <c>torch_dtype</c>, null token ids, an eos id or a list of them), so a
/// checkpoint written here loads in <c>transformers</c> and back. Fields this code does not use are not kept here:
/// a Hugging Face folder keeps its own <c>config.json</c> for writing back (<see cref="Checkpoints.PretrainedFolder"/>).
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The architectures this decoder implements, by <c>model_type</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> SupportedArchitectures = new Dictionary<string, string>
    {
        ["llama"] = "LlamaForCausalLM", ["qwen2"] = "Qwen2ForCausalLM", ["qwen3"] = "Qwen3ForCausalLM",
    };

    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["LlamaForCausalLM"];
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llama";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 128;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 344;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 4;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 4;
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; init; } = 2;
    [JsonPropertyName("head_dim"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? HeadDimOverride { get; init; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 256;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    /// <summary>transformers 5.x: rope type, theta and scaling in one object (wins over <see cref="RopeTheta"/>).</summary>
    [JsonPropertyName("rope_parameters"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RopeParameters? RopeParameters { get; init; }
    /// <summary>transformers 4.x: the scaling part of <see cref="RopeParameters"/> (theta stays in <c>rope_theta</c>).</summary>
    [JsonPropertyName("rope_scaling"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public RopeParameters? RopeScaling { get; init; }
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }
    [JsonPropertyName("mlp_bias")] public bool MlpBias { get; init; }
    [JsonPropertyName("use_sliding_window")] public bool UseSlidingWindow { get; init; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 1;
    /// <summary>One id or a list (chat models stop on several); written back in the form it had.</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(TokenIdsConverter))] public TokenIds? EosTokenIds { get; init; } = new([2], false);
    [JsonPropertyName("torch_dtype"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? TorchDtype { get; init; } = "float32";
    /// <summary>transformers 5.x's name for <see cref="TorchDtype"/>.</summary>
    [JsonPropertyName("dtype"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Dtype { get; init; }
    /// <summary>The image encoder of a policy that reads image prompts; null (absent from config.json) for text only.</summary>
    [JsonPropertyName("vision_config"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public VisionConfig? Vision { get; init; }

    [JsonIgnore] public int HeadDim => HeadDimOverride ?? HiddenSize / NumAttentionHeads;

    /// <summary>The first end-of-sequence id (stops generation when no stop tokens are given).</summary>
    [JsonIgnore] public int EosTokenId => EosTokenIds is { Ids.Count: > 0 } e ? e.Ids[0]
        : throw new InvalidOperationException("model config has no eos_token_id");

    /// <summary>The id that pads batches: pad_token_id, else the eos id (positions are masked either way).</summary>
    [JsonIgnore] public int PaddingId => PadTokenId ?? (EosTokenIds is { Ids.Count: > 0 } e ? e.Ids[0] : 0);

    /// <summary>The weights' element type as the config names it (dtype, else torch_dtype, else float32).</summary>
    [JsonIgnore] public string WeightsDtype => Dtype ?? TorchDtype ?? "float32";

    /// <summary>Rotary settings in effect: rope_parameters, else rope_scaling with rope_theta, else the default type.</summary>
    [JsonIgnore] public RopeParameters Rope => RopeParameters is { } p ? p with { RopeTheta = p.RopeTheta ?? RopeTheta }
        : (RopeScaling ?? new RopeParameters()) with { RopeTheta = RopeTheta };

    // Qwen2 always has q/k/v biases and no output bias; Llama and Qwen3 put attention_bias on all four.
    [JsonIgnore] public bool QkvBias => ModelType == "qwen2" || AttentionBias;
    [JsonIgnore] public bool OutputBias => ModelType != "qwen2" && AttentionBias;
    /// <summary>Qwen3: per-head RMSNorm of queries and keys before the rotation.</summary>
    [JsonIgnore] public bool QkNorm => ModelType == "qwen3";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public ModelConfig Validate()
    {
        static void Require(bool ok, string field, string message)
        {
            if (!ok) throw new ArgumentException($"model config field '{field}': {message}");
        }
        string supported = string.Join(", ", SupportedArchitectures.Values);
        Require(SupportedArchitectures.ContainsKey(ModelType), "model_type", $"unsupported architecture '{ModelType}' (supported: {supported})");
        Require(Architectures.Length == 0 || Architectures.Contains(SupportedArchitectures[ModelType]), "architectures",
            $"unsupported architecture [{string.Join(", ", Architectures)}] for model_type '{ModelType}' (supported: {supported})");
        Require(VocabSize > 0, "vocab_size", $"must be positive, got {VocabSize}");
        Require(HiddenSize > 0, "hidden_size", $"must be positive, got {HiddenSize}");
        Require(IntermediateSize > 0, "intermediate_size", $"must be positive, got {IntermediateSize}");
        Require(NumHiddenLayers > 0, "num_hidden_layers", $"must be positive, got {NumHiddenLayers}");
        Require(NumAttentionHeads > 0, "num_attention_heads", $"must be positive, got {NumAttentionHeads}");
        Require(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0, "num_key_value_heads",
            $"must divide num_attention_heads ({NumAttentionHeads}), got {NumKeyValueHeads}");
        Require(HeadDimOverride is not null || HiddenSize % NumAttentionHeads == 0, "hidden_size",
            $"must be a multiple of num_attention_heads ({NumAttentionHeads}), got {HiddenSize}");
        Require(HeadDim > 0 && HeadDim % 2 == 0, "head_dim", $"rotary embeddings need an even head dimension, got {HeadDim}");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings", $"must be positive, got {MaxPositionEmbeddings}");
        Require(!UseSlidingWindow, "use_sliding_window", "sliding-window attention is not supported");
        Require(HiddenAct == "silu", "hidden_act", $"only 'silu' (SwiGLU) is supported, got '{HiddenAct}'");
        Require(WeightsDtype is "float32" or "bfloat16" or "float16", Dtype is null ? "torch_dtype" : "dtype",
            $"expected float32, bfloat16 or float16, got '{WeightsDtype}'");
        var rope = Rope;
        string ropeField = RopeParameters is null ? "rope_scaling" : "rope_parameters";
        Require(rope.RopeTheta > 0, RopeParameters is null ? "rope_theta" : "rope_parameters.rope_theta", $"must be positive, got {rope.RopeTheta}");
        Require(rope.Type is "default" or "llama3", ropeField + ".rope_type", $"supported: default, llama3; got '{rope.Type}'");
        if (rope.Type == "llama3")
        {
            Require(rope.Factor is > 0, ropeField + ".factor", $"must be positive, got {rope.Factor}");
            Require(rope.LowFreqFactor is > 0, ropeField + ".low_freq_factor", $"must be positive, got {rope.LowFreqFactor}");
            Require(rope.HighFreqFactor > rope.LowFreqFactor, ropeField + ".high_freq_factor",
                $"must exceed low_freq_factor ({rope.LowFreqFactor}), got {rope.HighFreqFactor}");
            Require(rope.OriginalMaxPositionEmbeddings is > 0, ropeField + ".original_max_position_embeddings",
                $"must be positive, got {rope.OriginalMaxPositionEmbeddings}");
        }
        Require(EosTokenIds is null || EosTokenIds.Ids.Count > 0, "eos_token_id", "an empty list");
        foreach (var (field, id) in new[] { ("pad_token_id", PadTokenId), ("bos_token_id", BosTokenId) }
                     .Concat((EosTokenIds?.Ids ?? []).Select(id => ("eos_token_id", (int?)id))))
            Require(id is null || (id >= 0 && id < VocabSize), field, $"must be a token id below vocab_size ({VocabSize}), got {id}");
        Vision?.Validate(VocabSize);
        Require(Vision is null || (Vision.ImageTokenId != PadTokenId && Vision.ImageTokenId != BosTokenId && !(EosTokenIds?.Ids.Contains(Vision.ImageTokenId) ?? false)),
            "vision_config.image_token_id", $"must differ from the pad, bos and eos ids, got {Vision?.ImageTokenId}");
        return this;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ModelConfig FromJson(string json, string source = "config.json")
    {
        ModelConfig? config;
        try { config = JsonSerializer.Deserialize<ModelConfig>(json); }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 2 } p ? $" at {p[2..]}" : "";
            throw new ArgumentException($"{source}: invalid model config{where}: {e.Message}", e);
        }
        if (config is null) throw new ArgumentException($"{source}: empty model config");
        try { return config.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
    }
}

/// <summary>Rotary embedding settings: Hugging Face's <c>rope_parameters</c> (or 4.x <c>rope_scaling</c>).</summary>
public sealed record RopeParameters
{
    [JsonPropertyName("rope_type")] public string? RopeType { get; init; }
    /// <summary>4.x configs name the type "type".</summary>
    [JsonPropertyName("type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? LegacyType { get; init; }
    [JsonPropertyName("rope_theta"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? RopeTheta { get; init; }
    [JsonPropertyName("factor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Factor { get; init; }
    [JsonPropertyName("low_freq_factor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? LowFreqFactor { get; init; }
    [JsonPropertyName("high_freq_factor"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? HighFreqFactor { get; init; }
    [JsonPropertyName("original_max_position_embeddings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? OriginalMaxPositionEmbeddings { get; init; }

    [JsonIgnore] public string Type => RopeType ?? LegacyType ?? "default";
}

/// <summary>One token id or a list of them, remembering which form the config used.</summary>
public sealed record TokenIds(IReadOnlyList<int> Ids, bool IsList)
{
    public bool Equals(TokenIds? other) => other is not null && IsList == other.IsList && Ids.SequenceEqual(other.Ids);
    public override int GetHashCode() => Ids.Aggregate(IsList ? 1 : 0, HashCode.Combine);
}

internal sealed class TokenIdsConverter : JsonConverter<TokenIds>
{
    public override TokenIds? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.Number) return new TokenIds([reader.GetInt32()], false);
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected a token id, a list of token ids or null");
        var ids = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException("expected a list of token ids");
            ids.Add(reader.GetInt32());
        }
        return new TokenIds(ids, true);
    }

    public override void Write(Utf8JsonWriter writer, TokenIds value, JsonSerializerOptions options)
    {
        if (!value.IsList) { writer.WriteNumberValue(value.Ids[0]); return; }
        writer.WriteStartArray();
        foreach (int id in value.Ids) writer.WriteNumberValue(id);
        writer.WriteEndArray();
    }
}
