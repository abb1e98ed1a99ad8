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

    public static LlamaForCausalLM Create(long seed = 1)
    {
        var m = new LlamaForCausalLM(Config, seed);
        m.eval();
        return m;
    }
}
