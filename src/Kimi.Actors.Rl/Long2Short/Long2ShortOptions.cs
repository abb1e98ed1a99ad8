using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Long2Short;

/// <summary>The four long2short methods of k1.5 §2.4.</summary>
public enum Long2ShortMethod
{
    /// <summary>The weight average of a long-CoT and a short-CoT policy of the same architecture.</summary>
    Merge,
    /// <summary>n samples per prompt; the shortest correct one becomes an SFT target.</summary>
    ShortestRejectionSampling,
    /// <summary>Preference pairs: the shortest correct response over wrong longer ones and correct ones ≥ 1.5× its length.</summary>
    Dpo,
    /// <summary>RL with the length penalty on and a much smaller maximum response length.</summary>
    Rl,
}

public static class Long2ShortMethods
{
    private static readonly (string Name, Long2ShortMethod Method)[] Names =
        [("merge", Long2ShortMethod.Merge), ("shortest-rs", Long2ShortMethod.ShortestRejectionSampling), ("dpo", Long2ShortMethod.Dpo), ("rl", Long2ShortMethod.Rl)];

    public static IReadOnlyList<string> Allowed { get; } = Names.Select(n => n.Name).ToArray();

    public static bool TryParse(string name, out Long2ShortMethod method)
    {
        foreach (var (n, m) in Names)
            if (n == name) { method = m; return true; }
        method = default;
        return false;
    }

    public static string Name(this Long2ShortMethod method) => Names.First(n => n.Method == method).Name;
}

/// <summary>Where the responses rejection sampling and DPO learn from come from: the long policy's samples on training prompts.</summary>
public sealed record Long2ShortSampling
{
    /// <summary>Training prompts drawn (with the run seed) to sample from.</summary>
    public int Prompts { get; init; } = 512;
    /// <summary>n: samples per prompt.</summary>
    public int SamplesPerPrompt { get; init; } = 8;
    /// <summary>Temperature of the samples DPO learns from.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>
    /// Temperature of the samples shortest-rs picks from: hotter samples skip more of the search, so the shortest correct
    /// one of n is shorter (at T = 1 the n correct samples of a prompt hardly differ in length).
    /// </summary>
    public double ShortestRsTemperature { get; init; } = 1.0;
    /// <summary>
    /// Rounds of shortest-rs: each samples afresh from the policy the previous round left (new training prompts, new
    /// seeds) and fine-tunes on its shortest correct responses. 1 is the report's single pass; more rounds shorten
    /// step by step at a temperature mild enough that each round's targets are searches the policy already writes.
    /// </summary>
    public int ShortestRsRounds { get; init; } = 1;
}

public sealed record MergeOptions
{
    /// <summary>w: θ = (1 − w)·θ_long + w·θ_short.</summary>
    public double ShortWeight { get; init; } = 0.5;
}

public sealed record DpoOptions
{
    /// <summary>β: how far the policy may move from the reference (the long policy) to order a pair.</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>A correct response is a negative when it is at least this many times the positive's length.</summary>
    public double LengthRatio { get; init; } = 1.5;
    public int Steps { get; init; } = 100;
    public int PairsPerStep { get; init; } = 32;
    public double LearningRate { get; init; } = 2e-5;
    public int WarmupSteps { get; init; } = 5;
    public double MinLrRatio { get; init; } = 0.1;
    public double GradClip { get; init; } = 1.0;
}

/// <summary>long2short RL: the run's RL with the length penalty on from the first iteration and a much smaller response cap.</summary>
public sealed record Long2ShortRlOptions
{
    public int Iterations { get; init; } = 20;
    public int MaxResponseTokens { get; init; } = 48;
    public double LengthPenaltyWeight { get; init; } = 1.0;
}

/// <summary>Everything <c>kimi long2short</c> needs besides the run options (model, tasks, evaluation) it shares with <c>kimi train</c>.</summary>
public sealed record Long2ShortOptions
{
    public Long2ShortSampling Sampling { get; init; } = new();
    public MergeOptions Merge { get; init; } = new();
    /// <summary>The SFT on the shortest correct responses (flaw rate unused).</summary>
    public SftOptions ShortestRs { get; init; } = new() { Steps = 200, LearningRate = 1e-4, WarmupSteps = 10, FlawRate = 0 };
    public DpoOptions Dpo { get; init; } = new();
    public Long2ShortRlOptions Rl { get; init; } = new();
}
