using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Evaluation;

/// <summary>A run's held-out evaluation: greedy and sampled pass@1 on the same prompts, with a fixed seed.</summary>
public static class HeldOut
{
    public static HeldOutEvaluation Evaluate(LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer, RunOptions options)
    {
        var (greedySettings, sampledSettings) = Settings(options);
        var greedy = Evaluator.Evaluate(policy, prompts, tokenizer, greedySettings);
        var sampled = Evaluator.Evaluate(policy, prompts, tokenizer, sampledSettings);
        return new HeldOutEvaluation(greedy, sampled, options.Eval.Primary);
    }

    /// <summary>The two decodings of a run's held-out evaluation.</summary>
    public static (EvalSettings Greedy, EvalSettings Sampled) Settings(RunOptions options) => (
        new EvalSettings { MaxResponseTokens = options.Eval.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize },
        new EvalSettings
        {
            Temperature = options.Rollout.Temperature, SamplesPerPrompt = options.Eval.SamplesPerPrompt,
            MaxResponseTokens = options.Eval.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize,
            // The same seed before and after RL: both evaluations draw from the same random stream.
            Seed = Seeds.Derive(options.Seed, Seeds.Evaluation),
        });
}
