namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>The two model judges of k1.5 §2.3.5.</summary>
public enum ModelJudgeKind
{
    /// <summary><c>model-cot</c>: a policy model writes its reasoning, then a JSON verdict.</summary>
    ChainOfThought,
    /// <summary><c>value-head</c>: the decoder with a scalar head over its last hidden state, p(correct) from one forward pass.</summary>
    ValueHead,
}

public static class ModelJudgeKinds
{
    public const string ChainOfThoughtName = "model-cot", ShortChainOfThoughtName = "cot", ValueHeadName = "value-head";

    public static IReadOnlyList<string> Names { get; } = [ChainOfThoughtName, ValueHeadName];

    public static string Name(this ModelJudgeKind kind) => kind == ModelJudgeKind.ChainOfThought ? ChainOfThoughtName : ValueHeadName;

    /// <summary>A name of <see cref="Names"/>, or <c>cot</c> for the chain-of-thought judge.</summary>
    public static bool TryParse(string? name, out ModelJudgeKind kind)
    {
        kind = name == ValueHeadName ? ModelJudgeKind.ValueHead : ModelJudgeKind.ChainOfThought;
        return name is ChainOfThoughtName or ShortChainOfThoughtName or ValueHeadName;
    }

    /// <exception cref="ArgumentException">Not one of <see cref="Names"/> (or <c>cot</c>).</exception>
    public static ModelJudgeKind Parse(string name) =>
        TryParse(name, out var kind) ? kind : throw new ArgumentException($"unknown model judge '{name}': expected {string.Join(" or ", Names)}");
}
