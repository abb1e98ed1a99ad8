using Kimi.Actors.Model;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// Where prompts come from: the built-in task families, or prompt-set files. Three sets, disjoint under
/// <see cref="Identity"/>: train, validation (evaluated during the run) and the held-out test set (after SFT and at the end).
/// </summary>
public sealed record TaskOptions
{
    public IReadOnlyList<string> Families { get; init; } = ["sum", "countdown"];
    public int TrainPerLevel { get; init; } = 2000;
    public int ValidationPerLevel { get; init; } = 20;
    /// <summary>Test prompts per family and level (the held-out set the headline accuracy is measured on).</summary>
    public int HeldOutPerLevel { get; init; } = 50;
    /// <summary>Training prompts from a JSONL file instead of the generators (demonstrations still need a built-in family per domain).</summary>
    public string? TrainFile { get; init; }
    public string? ValidationFile { get; init; }
    /// <summary>The test set's file.</summary>
    public string? HeldOutFile { get; init; }
    public PromptIdentity Identity { get; init; } = PromptIdentity.Canonical;
    /// <summary>With a training file and no held-out file: the fraction of the training file's prompts held out (by seed).</summary>
    public double HeldOutFraction { get; init; } = 0.1;
}

/// <summary>Rollout shape of one RL iteration.</summary>
public sealed record RolloutOptions
{
    public int PromptsPerIteration { get; init; } = 32;
    public int SamplesPerPrompt { get; init; } = 8;
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 1.0;
    public int MaxResponseTokens { get; init; } = 96;
    public int MaxBatchSize { get; init; } = 512;
    /// <summary>
    /// Output tokens one generator may produce per iteration (k1.5 partial rollouts); a response still unfinished
    /// when it runs out is cut and resumed next iteration. Null: no budget, every response finishes in its iteration.
    /// </summary>
    public long? TokenBudget { get; init; }
    public RepeatOptions Repeat { get; init; } = new();
    /// <summary>Replay decoding steps as CUDA graphs on a CUDA device with the native shim (off: eager).</summary>
    public bool CudaGraphs { get; init; } = true;
}

/// <summary>Repeat detection: a response whose last <see cref="MinSpan"/> tokens repeat a block of at most <see cref="MaxPeriod"/> tokens stops.</summary>
public sealed record RepeatOptions
{
    public bool Enabled { get; init; }
    public int MaxPeriod { get; init; } = 16;
    public int MinSpan { get; init; } = 64;
    /// <summary>Subtracted from the reward of a response stopped as a loop (0: it just earns nothing, like any unfinished response).</summary>
    public double Penalty { get; init; }
}

public sealed record LengthPenaltyOptions
{
    public double Weight { get; init; }
    public int WarmupIterations { get; init; }
}

public sealed record EvalOptions
{
    /// <summary>Evaluate held-out accuracy every N iterations (0: only before and after RL).</summary>
    public int EveryIterations { get; init; }
    public int MaxResponseTokens { get; init; } = 96;
    /// <summary>Samples per held-out prompt for sampled pass@1 (at the rollout temperature).</summary>
    public int SamplesPerPrompt { get; init; } = 4;
    public PrimaryMetric Primary { get; init; } = PrimaryMetric.Sampled;
}

/// <summary>Everything one training run needs; presets and configuration files fill it in.</summary>
public sealed record RunOptions
{
    public string RunId { get; init; } = "";
    public long Seed { get; init; } = 1;
    public int Iterations { get; init; } = 20;
    public string Device { get; init; } = "cpu";
    public int Threads { get; init; }
    public string? InitCheckpoint { get; init; }
    /// <summary>
    /// A Hugging Face model folder the run trains (<c>kimi.model.pretrained</c>): its config is <see cref="Model"/>, its
    /// tokenizer <see cref="Tokenizer"/>, its weights the starting point (unless <see cref="InitCheckpoint"/> names others).
    /// </summary>
    public string? Pretrained { get; init; }
    public required ModelConfig Model { get; init; }
    /// <summary>float32, bfloat16 or auto (the weights' own dtype where the device computes in it).</summary>
    public string Dtype { get; init; } = "auto";
    /// <summary>Tokens that end a response (a chat model's end-of-turn ids); null = the model's end-of-sequence token.</summary>
    public IReadOnlyList<int>? StopTokens { get; init; }
    /// <summary>The tokenizer of the run: every worker and judge that encodes or decodes text is given this one.</summary>
    public TokenizerSpec Tokenizer { get; init; } = TokenizerSpec.Char;
    public TaskOptions Tasks { get; init; } = new();
    public SftOptions Sft { get; init; } = new();
    public RolloutOptions Rollout { get; init; } = new();
    public PolicyOptimizationOptions Optimization { get; init; } = new();
    public LengthPenaltyOptions LengthPenalty { get; init; } = new();
    public SamplerOptions Sampling { get; init; } = new();
    public EvalOptions Eval { get; init; } = new();
}
