using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests.Checkpoints;

/// <summary>Model merging: the weighted average of two state dicts, and architectures that differ refused naming the tensor.</summary>
public class WeightMergeTests
{
    [Fact]
    public void The_merge_is_the_elementwise_weighted_average_of_the_two_state_dicts()
    {
        using var a = TinyModels.Create(seed: 1);
        using var b = TinyModels.Create(seed: 2);
        var (sa, sb) = (a.state_dict(), b.state_dict());
        var merged = WeightMerge.Average(sa, sb, 0.25, "long", "short");
        Assert.Equal(sa.Keys.Order(), merged.Keys.Order());
        foreach (var (name, m) in merged)
        {
            // Element by element, from the raw values.
            var (x, y, z) = (sa[name].data<float>().ToArray(), sb[name].data<float>().ToArray(), m.data<float>().ToArray());
            for (int i = 0; i < z.Length; i += Math.Max(1, z.Length / 97))
                Assert.True(Math.Abs(z[i] - (0.75f * x[i] + 0.25f * y[i])) < 1e-6, $"{name}[{i}]: {z[i]} vs 0.75*{x[i]} + 0.25*{y[i]}");
        }
        Assert.Contains(merged.Keys, k => Math.Abs((sa[k] - sb[k]).abs().max().item<float>()) > 1e-3);   // the two really differ

        // The ends: weight 0 is the first policy, 1 the second; the inputs are untouched.
        var first = WeightMerge.Average(sa, sb, 0, "long", "short");
        var second = WeightMerge.Average(sa, sb, 1, "long", "short");
        foreach (var name in sa.Keys)
        {
            Assert.Equal(0f, (first[name] - sa[name]).abs().max().item<float>());
            Assert.Equal(0f, (second[name] - sb[name]).abs().max().item<float>());
        }
    }

    [Fact]
    public void Merging_into_a_model_makes_it_compute_with_the_averaged_weights()
    {
        using var a = TinyModels.Create(seed: 3);
        using var b = TinyModels.Create(seed: 4);
        using var expected = TinyModels.Create(seed: 3);
        var average = WeightMerge.Average(a.state_dict(), b.state_dict(), 0.5);
        PolicyCheckpoint.LoadWeights(expected, average, "test");
        WeightMerge.AverageInto(a, a, b, 0.5, "long", "short");
        foreach (var ((name, x), (_, y)) in a.state_dict().Zip(expected.state_dict()))
            Assert.True((x - y).abs().max().item<float>() == 0, name);
    }

    [Fact]
    public void Policies_of_different_shapes_are_refused_naming_the_tensor()
    {
        using var a = TinyModels.Create(seed: 1);
        using var wider = new LlamaForCausalLM(TinyModels.Config() with { IntermediateSize = TinyModels.Config().IntermediateSize * 2 }, 1);
        var e = Assert.Throws<CheckpointException>(() => WeightMerge.Average(a.state_dict(), wider.state_dict(), 0.5, "runs/long", "runs/short"));
        Assert.StartsWith("runs/short: ", e.Message);
        // The first tensor in name order whose shape differs.
        Assert.Contains("tensor 'model.layers.0.mlp.down_proj.weight'", e.Message);
        Assert.Contains($"[{TinyModels.Config().HiddenSize}, {TinyModels.Config().IntermediateSize * 2}]", e.Message);
        Assert.Contains("not the same architecture", e.Message);
    }

    [Fact]
    public void Policies_with_different_tensors_are_refused_naming_the_missing_one()
    {
        using var a = TinyModels.Create(seed: 1);
        using var deeper = new LlamaForCausalLM(TinyModels.Config() with { NumHiddenLayers = TinyModels.Config().NumHiddenLayers + 1 }, 1);
        var e = Assert.Throws<CheckpointException>(() => WeightMerge.Average(a.state_dict(), deeper.state_dict(), 0.5, "long", "short"));
        Assert.StartsWith("long: ", e.Message);
        Assert.Contains($"model.layers.{TinyModels.Config().NumHiddenLayers}.", e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightMerge.Average(a.state_dict(), a.state_dict(), 1.5));
    }
}
