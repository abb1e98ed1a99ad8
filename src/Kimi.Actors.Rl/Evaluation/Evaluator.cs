using System.Diagnostics;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Evaluation;

/// <summary>Held-out evaluation: one greedy response per prompt, judged by the same verifiers as training.</summary>
public static class Evaluator
{
    public static EvaluationReport Evaluate(LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer,
        int maxResponseTokens, int maxBatchSize = 512)
    {
        var sw = Stopwatch.StartNew();
        var requests = prompts.Select(p => new RolloutRequest(p.Id, PromptTokens.Encode(tokenizer, p.Prompt), 0, 0)).ToList();
        var settings = new RolloutSettings { Temperature = 0, MaxResponseTokens = maxResponseTokens, MaxBatchSize = maxBatchSize };
        var (trajectories, _) = RolloutWorker.Generate(policy, requests, settings, policyVersion: 0, seed: 0);
        var judged = trajectories.Select((t, i) => RewardJudging.Judge(t, prompts[i], tokenizer)).ToList();

        SliceAccuracy Slice(IEnumerable<int> idx)
        {
            var list = idx.ToList();
            return new SliceAccuracy(list.Count, list.Count(i => judged[i].Correct));
        }
        var all = Enumerable.Range(0, prompts.Count).ToList();
        return new EvaluationReport(
            Slice(all),
            all.GroupBy(i => prompts[i].Difficulty).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => Slice(g)),
            all.GroupBy(i => prompts[i].Domain).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => Slice(g)),
            trajectories.Count == 0 ? 0 : trajectories.Average(t => t.Length),
            sw.Elapsed);
    }
}
