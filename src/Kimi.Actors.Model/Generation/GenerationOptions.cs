namespace Kimi.Actors.Model.Generation;

/// <summary>Decoding settings for one batched generation call.</summary>
public sealed record GenerationOptions
{
    /// <summary>Sampling temperature; 0 means greedy (argmax).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability mass reaches TopP.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Maximum response length in tokens, counting a request's prefix.</summary>
    public int MaxResponseTokens { get; init; } = 64;
    /// <summary>Tokens that end a response (included in the returned tokens). Empty: the model's eos only.</summary>
    public IReadOnlyCollection<int> StopTokens { get; init; } = [];
    /// <summary>Total new tokens this call may produce across the batch; null for no budget.</summary>
    public long? TokenBudget { get; init; }
    /// <summary>Seed of the sampling generator, for reproducible rollouts.</summary>
    public long Seed { get; init; } = 1234;
    public IRepeatDetector? RepeatDetector { get; init; }
    /// <summary>Rows processed together; larger batches amortise per-step overhead.</summary>
    public int MaxBatchSize { get; init; } = 512;
    /// <summary>Replay each decoding step as a CUDA graph where the device and the native shim allow (<see cref="CudaGraphs"/>).</summary>
    public bool CudaGraphs { get; init; } = true;
    /// <summary>Padded tokens one prefill pass may hold (bounds its activations).</summary>
    public int MaxPrefillTokens { get; init; } = 32768;

    public GenerationOptions Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be >= 0, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        if (MaxResponseTokens <= 0) throw new ArgumentException($"max response tokens must be positive, got {MaxResponseTokens}");
        if (TokenBudget is < 0) throw new ArgumentException($"token budget must be >= 0, got {TokenBudget}");
        if (MaxBatchSize <= 0) throw new ArgumentException($"max batch size must be positive, got {MaxBatchSize}");
        if (MaxPrefillTokens <= 0) throw new ArgumentException($"max prefill tokens must be positive, got {MaxPrefillTokens}");
        return this;
    }
}
