using Kimi.Actors.Model.Llama;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>
/// Model merging (k1.5 §2.4, long2short): the weighted average of two policies of one architecture, tensor by tensor,
/// θ = (1 − w)·θ_a + w·θ_b. Policies whose tensors differ in name, shape or dtype are not the same architecture and are
/// refused, naming the first tensor that differs.
/// </summary>
public static class WeightMerge
{
    /// <summary>The averaged state (new tensors on <paramref name="a"/>'s devices; the inputs are untouched).</summary>
    /// <param name="nameA">What <paramref name="a"/> is called in errors (its folder), likewise <paramref name="nameB"/>.</param>
    /// <param name="weightOfB">w in [0, 1]: 0 gives <paramref name="a"/>, 1 gives <paramref name="b"/>, 0.5 the plain average.</param>
    /// <exception cref="CheckpointException">A tensor only one side has, or one whose shape or dtype differs; names it.</exception>
    public static Dictionary<string, Tensor> Average(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b, double weightOfB,
        string nameA = "a", string nameB = "b")
    {
        if (!(weightOfB >= 0 && weightOfB <= 1)) throw new ArgumentOutOfRangeException(nameof(weightOfB), weightOfB, "must lie in [0, 1]");
        RequireSameArchitecture(a, b, nameA, nameB);
        using var noGrad = no_grad();
        var merged = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, x) in a)
        {
            using var scope = NewDisposeScope();
            // In float32 whatever the stored dtype, so a bf16 average rounds once.
            var sum = x.to_type(ScalarType.Float32).mul(1 - weightOfB).add(b[name].to(x.device).to_type(ScalarType.Float32).mul(weightOfB));
            merged[name] = sum.to_type(x.dtype).MoveToOuterDisposeScope();
        }
        return merged;
    }

    /// <summary>Refuses two state dicts that are not of one architecture, naming the first tensor (in name order) that differs.</summary>
    /// <exception cref="CheckpointException">A tensor only one side has, or one whose shape or dtype differs.</exception>
    public static void RequireSameArchitecture(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b, string nameA = "a",
        string nameB = "b")
    {
        foreach (var name in a.Keys.Order(StringComparer.Ordinal))
            if (!b.ContainsKey(name)) throw Mismatch(nameB, name, $"tensor is missing (it is in {nameA}): not the same architecture");
        foreach (var name in b.Keys.Order(StringComparer.Ordinal))
            if (!a.ContainsKey(name)) throw Mismatch(nameA, name, $"tensor is missing (it is in {nameB}): not the same architecture");
        foreach (var name in a.Keys.Order(StringComparer.Ordinal))
        {
            var (x, y) = (a[name], b[name]);
            if (!x.shape.SequenceEqual(y.shape))
                throw Mismatch(nameB, name, $"shape [{string.Join(", ", y.shape)}], {nameA} has [{string.Join(", ", x.shape)}]: not the same architecture");
            if (x.dtype != y.dtype) throw Mismatch(nameB, name, $"dtype {y.dtype}, {nameA} has {x.dtype}");
        }
    }

    /// <summary>Sets <paramref name="into"/>'s weights to the average of <paramref name="a"/> and <paramref name="b"/> (either may be <paramref name="into"/>).</summary>
    public static void AverageInto(LlamaForCausalLM into, LlamaForCausalLM a, LlamaForCausalLM b, double weightOfB, string nameA = "a", string nameB = "b")
    {
        var merged = Average(a.state_dict(), b.state_dict(), weightOfB, nameA, nameB);
        PolicyCheckpoint.LoadWeights(into, merged, $"the average of {nameA} and {nameB}");
    }

    private static CheckpointException Mismatch(string source, string tensor, string problem) =>
        new(source, SafeTensorsHeaderParser.TensorField(tensor), problem);
}
