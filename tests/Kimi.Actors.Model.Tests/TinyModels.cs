using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;

namespace Kimi.Actors.Model.Tests;

internal static class TinyModels
{
    public static ModelConfig Config(bool tied = true, int kvHeads = 2) => CharTokenizer.Instance.Apply(new ModelConfig
    {
        HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = kvHeads, MaxPositionEmbeddings = 96, TieWordEmbeddings = tied,
    });

    /// <summary>The tiny config with a 16 x 16-pixel, 4-patch encoder; the image placeholder is one id past the tokenizer's.</summary>
    public static ModelConfig VisionConfig(bool tied = true) => Config(tied) with
    {
        VocabSize = CharTokenizer.Instance.VocabSize + 1,
        Vision = new VisionConfig
        {
            ImageSize = 16, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2,
            ImageTokenId = CharTokenizer.Instance.VocabSize,
        },
    };

    public static LlamaForCausalLM CreateWithVision(long seed = 7, bool tied = true)
    {
        var model = new LlamaForCausalLM(VisionConfig(tied), seed);
        model.eval();
        return model;
    }

    /// <summary>Random pixels of a square image (the same seed, the same image).</summary>
    public static ImagePixels Image(int seed, int size = 16)
    {
        var rgb = new byte[size * size * 3];
        new Random(seed).NextBytes(rgb);
        return new ImagePixels(size, rgb, size, size);
    }

    public static LlamaForCausalLM Create(long seed = 7, bool tied = true, int kvHeads = 2)
    {
        var model = new LlamaForCausalLM(Config(tied, kvHeads), seed);
        model.eval();
        return model;
    }
}
