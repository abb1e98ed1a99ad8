using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Evaluation;

/// <summary>How held-out prompts are decoded for evaluation.</summary>
public sealed record EvalSettings
{
    /// <summary>0 = greedy (one response per prompt); otherwise the sampling temperature.</summary>
    public double Temperature { get; init; }
    /// <summary>Responses per prompt when sampling; pass@1 is their mean accuracy.</summary>
    public int SamplesPerPrompt { get; init; } = 1;
    public int MaxResponseTokens { get; init; } = 96;
    public int MaxBatchSize { get; init; } = 512;
    public long Seed { get; init; }
    /// <summary>Tokens that end a response; null = the model's end-of-sequence token.</summary>
    public IReadOnlyList<int>? StopTokens { get; init; }

    public string Mode => Temperature == 0 ? "greedy" : $"pass@1 (T={Temperature:0.##}, n={SamplesPerPrompt})";
}

/// <summary>Held-out evaluation, judged by the same verifiers as training.</summary>
public static class Evaluator
{
    public static EvaluationReport Evaluate(LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer, EvalSettings settings)
    {
        var sw = Stopwatch.StartNew();
        int n = settings.Temperature == 0 ? 1 : Math.Max(1, settings.SamplesPerPrompt);
        var requests = prompts.SelectMany(p => Enumerable.Range(0, n)
            .Select(k => new RolloutRequest(new TrajectoryId(new PromptId(p.Id), 0, k), PromptTokens.Encode(tokenizer, p, policy.Config.Vision?.Layout),
                Images: p.HasImages ? p.Images : null))).ToList();
        var rollout = new RolloutSettings
        {
            Temperature = settings.Temperature, MaxResponseTokens = settings.MaxResponseTokens, MaxBatchSize = settings.MaxBatchSize,
            StopTokens = settings.StopTokens,
        };
        var (trajectories, _) = RolloutWorker.Generate(policy, requests, rollout, policyVersion: 0, seed: settings.Seed);
        var judged = trajectories.Select((t, i) => RewardJudging.Judge(t, prompts[i / n], tokenizer)).ToList();

        SliceAccuracy Slice(IEnumerable<int> promptIndices)
        {
            var responses = promptIndices.SelectMany(i => Enumerable.Range(i * n, n)).ToList();
            return new SliceAccuracy(responses.Count, responses.Count(r => judged[r].Correct));
        }
        var all = Enumerable.Range(0, prompts.Count).ToList();
        return new EvaluationReport(
            settings.Mode,
            prompts.Count,
            Slice(all),
            all.GroupBy(i => prompts[i].Difficulty).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => Slice(g)),
            all.GroupBy(i => prompts[i].Domain).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => Slice(g)),
            trajectories.Count == 0 ? 0 : trajectories.Average(t => t.Length),
            sw.Elapsed)
        {
            ByModality = all.GroupBy(i => prompts[i].HasImages ? EvaluationReport.Image : EvaluationReport.Text).OrderBy(g => g.Key)
                .ToDictionary(g => g.Key, g => Slice(g)),
        };
    }

    /// <summary>Greedy accuracy, one response per prompt.</summary>
    public static EvaluationReport Evaluate(LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer,
        int maxResponseTokens, int maxBatchSize = 512) =>
        Evaluate(policy, prompts, tokenizer, new EvalSettings { MaxResponseTokens = maxResponseTokens, MaxBatchSize = maxBatchSize });
}
