using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Model.Tests;

internal static class TinyModels
{
    public static ModelConfig Config(bool tied = true, int kvHeads = 2) => CharTokenizer.Instance.Apply(new ModelConfig
    {
        HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = kvHeads, MaxPositionEmbeddings = 96, TieWordEmbeddings = tied,
    });

    public static LlamaForCausalLM Create(long seed = 7, bool tied = true, int kvHeads = 2)
    {
        var model = new LlamaForCausalLM(Config(tied, kvHeads), seed);
        model.eval();
        return model;
    }
}
