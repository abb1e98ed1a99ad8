using Kimi.Actors.Model.Generation;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>Decoding settings for rollouts (training samples) and for greedy evaluation. Plain data: it travels in messages.</summary>
public sealed record RolloutSettings
{
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 1.0;
    public int MaxResponseTokens { get; init; } = 64;
    public int MaxBatchSize { get; init; } = 512;
    /// <summary>Output tokens one generator may produce per call (iteration); null = unlimited (no partial rollouts).</summary>
    public long? TokenBudget { get; init; }
    /// <summary>Ends degenerate loops early; null = off.</summary>
    public PeriodicRepeatDetector? RepeatDetector { get; init; }
    /// <summary>Tokens that end a response; null = the model's end-of-sequence token.</summary>
    public IReadOnlyList<int>? StopTokens { get; init; }
    /// <summary>Replay decoding steps as CUDA graphs where the device and the native shim allow.</summary>
    public bool CudaGraphs { get; init; } = true;

    public GenerationOptions ToGenerationOptions(int eosId, long seed) => new()
    {
        Temperature = Temperature, TopP = TopP, MaxResponseTokens = MaxResponseTokens, StopTokens = StopTokens is { } stop ? [.. stop] : [eosId],
        TokenBudget = TokenBudget, Seed = seed, RepeatDetector = RepeatDetector, MaxBatchSize = MaxBatchSize, CudaGraphs = CudaGraphs,
    };
}
