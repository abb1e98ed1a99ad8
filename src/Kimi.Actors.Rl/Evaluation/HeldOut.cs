using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Evaluation;

/// <summary>How a run evaluates held-out prompts: greedy and sampled pass@1 with a fixed seed, and which is the headline.</summary>
public sealed record EvaluationPlan(EvalSettings Greedy, EvalSettings Sampled, PrimaryMetric Primary)
{
    /// <summary>The plan of a run's options: the same seed before and after RL, so both draw from the same random stream.</summary>
    public static EvaluationPlan Of(RunOptions options) => new(
        new EvalSettings { MaxResponseTokens = options.Eval.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize, StopTokens = options.StopTokens },
        new EvalSettings
        {
            Temperature = options.Rollout.Temperature, SamplesPerPrompt = options.Eval.SamplesPerPrompt,
            MaxResponseTokens = options.Eval.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize,
            Seed = Seeds.Derive(options.Seed, Seeds.Evaluation), StopTokens = options.StopTokens,
        },
        options.Eval.Primary);
}

/// <summary>The held-out evaluation operation; the local engine and the generators' GPU workers both call it.</summary>
public static class HeldOut
{
    public static HeldOutEvaluation Evaluate(LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer, EvaluationPlan plan)
    {
        var greedy = Evaluator.Evaluate(policy, prompts, tokenizer, plan.Greedy);
        var sampled = Evaluator.Evaluate(policy, prompts, tokenizer, plan.Sampled);
        return new HeldOutEvaluation(greedy, sampled, plan.Primary);
    }
}
