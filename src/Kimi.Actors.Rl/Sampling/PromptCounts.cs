namespace Kimi.Actors.Rl.Sampling;

/// <summary>Judged attempts of one prompt and how many of them were correct.</summary>
public readonly record struct PromptCounts(long Attempts, long Successes);
