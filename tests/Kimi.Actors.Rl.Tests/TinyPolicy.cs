using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Rl.Tests;

internal static class TinyPolicy
{
    public static ModelConfig Config => CharTokenizer.Instance.Apply(new ModelConfig
    {
        HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 128,
    });

    /// <summary>The tiny policy with an encoder of 32-pixel images in 16 patches (the built-in visual families' size).</summary>
    public static ModelConfig VisionConfig => Config with
    {
        VocabSize = CharTokenizer.Instance.VocabSize + 1,
        Vision = new Kimi.Actors.Model.Vision.VisionConfig
        {
            ImageSize = 32, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2,
            ImageTokenId = CharTokenizer.Instance.VocabSize,
        },
    };

    public static LlamaForCausalLM CreateWithVision(long seed = 1)
    {
        var m = new LlamaForCausalLM(VisionConfig, seed);
        m.eval();
        return m;
    }

    public static LlamaForCausalLM Create(long seed = 1)
    {
        var m = new LlamaForCausalLM(Config, seed);
        m.eval();
        return m;
    }
}
