using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Long2Short;

/// <summary>long2short RL: the run's own RL (the same machine and engine as <c>kimi train</c>) from the long policy.</summary>
public static class Long2ShortRl
{
    /// <summary>
    /// The run options of the RL: no warm-up SFT (the policy is the long one), the length penalty on from the first
    /// iteration, rollouts capped at <see cref="Long2ShortRlOptions.MaxResponseTokens"/>, no evaluation during the run.
    /// Evaluation keeps the run's own response cap, so "before" and "after" are measured alike and a cut response is
    /// not counted as a short one.
    /// </summary>
    public static RunOptions Options(RunOptions run, Long2ShortRlOptions rl) => run with
    {
        Iterations = rl.Iterations,
        Sft = run.Sft with { Steps = 0 },
        Rollout = run.Rollout with { MaxResponseTokens = rl.MaxResponseTokens },
        LengthPenalty = new LengthPenaltyOptions { Weight = rl.LengthPenaltyWeight, WarmupIterations = 0 },
        Eval = run.Eval with { EveryIterations = 0 },
    };
}
