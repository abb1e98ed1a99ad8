namespace Kimi.Actors.Rl.Sampling;

/// <summary>Prompts of difficulty ≤ <paramref name="Difficulty"/> are eligible from iteration <paramref name="FromIteration"/> (0-based) on.</summary>
public readonly record struct LevelThreshold(int Difficulty, int FromIteration);
