using System.Text.Json.Serialization;

namespace Kimi.Actors.Model.Vision;

/// <summary>
/// The policy's image encoder, written as <c>vision_config</c> inside <c>config.json</c>: a small ViT (patch embedding,
/// pre-norm encoder blocks) whose patch outputs a projector maps to the decoder's width. Square images of
/// <see cref="ImageSize"/> pixels become <see cref="TokensPerImage"/> patch tokens, spliced into the token stream where
/// the prompt holds <see cref="ImageTokenId"/> placeholders (one per patch). Field names follow SigLIP's vision config;
/// <c>image_token_id</c> sits here rather than at the top level (where Qwen2-VL keeps it) so a text-only config is
/// unchanged by this feature.
/// </summary>
public sealed record VisionConfig
{
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 32;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 8;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 64;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 128;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 2;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 2;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-6;
    /// <summary>The placeholder token id standing for one patch of an image in the prompt.</summary>
    [JsonPropertyName("image_token_id")] public int ImageTokenId { get; init; }

    [JsonIgnore] public int PatchesPerSide => ImageSize / PatchSize;
    [JsonIgnore] public int TokensPerImage => PatchesPerSide * PatchesPerSide;
    [JsonIgnore] public ImageLayout Layout => new(ImageTokenId, TokensPerImage, ImageSize);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field (as <c>vision_config.field</c>).</summary>
    public VisionConfig Validate(int vocabSize)
    {
        static void Require(bool ok, string field, string message)
        {
            if (!ok) throw new ArgumentException($"model config field 'vision_config.{field}': {message}");
        }
        Require(PatchSize > 0, "patch_size", $"must be positive, got {PatchSize}");
        Require(ImageSize > 0 && ImageSize % PatchSize == 0, "image_size", $"must be a positive multiple of patch_size ({PatchSize}), got {ImageSize}");
        Require(NumChannels == 3, "num_channels", $"images are RGB: expected 3, got {NumChannels}");
        Require(HiddenSize > 0, "hidden_size", $"must be positive, got {HiddenSize}");
        Require(IntermediateSize > 0, "intermediate_size", $"must be positive, got {IntermediateSize}");
        Require(NumHiddenLayers > 0, "num_hidden_layers", $"must be positive, got {NumHiddenLayers}");
        Require(NumAttentionHeads > 0 && HiddenSize % NumAttentionHeads == 0, "num_attention_heads",
            $"must divide hidden_size ({HiddenSize}), got {NumAttentionHeads}");
        Require(LayerNormEps > 0, "layer_norm_eps", $"must be positive, got {LayerNormEps}");
        Require(ImageTokenId >= 0 && ImageTokenId < vocabSize, "image_token_id", $"must be a token id below vocab_size ({vocabSize}), got {ImageTokenId}");
        return this;
    }
}

/// <summary>
/// How images appear in a prompt's tokens: each image is <see cref="TokensPerImage"/> copies of <see cref="TokenId"/>,
/// and its pixels are resized to <see cref="ImageSize"/> square first. Plain data, so the run (which builds prompt
/// tokens) and the workers (which hold the encoder) agree without sharing a model.
/// </summary>
public sealed record ImageLayout(int TokenId, int TokensPerImage, int ImageSize)
{
    /// <summary>Placeholder tokens in <paramref name="tokens"/>.</summary>
    public int CountPlaceholders(ReadOnlySpan<int> tokens)
    {
        int n = 0;
        foreach (int t in tokens) if (t == TokenId) n++;
        return n;
    }

    /// <summary>Null when <paramref name="tokens"/> hold exactly the placeholders of <paramref name="images"/> images, else why not.</summary>
    public string? CheckPlaceholders(ReadOnlySpan<int> tokens, int images)
    {
        int found = CountPlaceholders(tokens), expected = images * TokensPerImage;
        return found == expected ? null
            : $"{found} image placeholder tokens (id {TokenId}) for {images} image(s) of {TokensPerImage} patches: expected {expected}";
    }
}

/// <summary>The one check that a token sequence and its images agree, for every caller that runs the model on images.</summary>
public static class ImagePlaceholders
{
    /// <summary>Null when <paramref name="tokens"/> hold the placeholders of exactly <paramref name="images"/> images, else why not.</summary>
    public static string? Check(ModelConfig config, ReadOnlySpan<int> tokens, int images)
    {
        if (config.Vision is not { } vision)
            return images > 0 ? $"{images} image(s) for a policy without a vision encoder (its config has no vision_config)" : null;
        return vision.Layout.CheckPlaceholders(tokens, images);
    }
}
