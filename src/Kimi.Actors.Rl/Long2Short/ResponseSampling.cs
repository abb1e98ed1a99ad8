using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Long2Short;

/// <summary>One sampled response (its tokens, end-of-sequence included) and its verdict.</summary>
public sealed record SampledResponse(int[] Tokens, bool Correct)
{
    public int Length => Tokens.Length;
}

/// <summary>The n responses of one prompt.</summary>
public sealed record PromptSamples(PromptRecord Prompt, int[] PromptTokens, IReadOnlyList<SampledResponse> Responses)
{
    /// <summary>The shortest correct response (the first of equals), or null when none is correct.</summary>
    public SampledResponse? ShortestCorrect => Responses.Where(r => r.Correct).MinBy(r => r.Length);
}

/// <summary>A DPO preference: <see cref="Chosen"/> over <see cref="Rejected"/> for one prompt.</summary>
public sealed record PreferencePair(int[] Prompt, int[] Chosen, int[] Rejected);

/// <summary>
/// The responses long2short learns from: n samples per prompt from the long policy, judged by the prompts' verifiers
/// (the same rollout and judging operations as RL), and what rejection sampling and DPO make of them.
/// </summary>
public static class ResponseSampling
{
    public static IReadOnlyList<PromptSamples> Sample(LlamaForCausalLM policy, IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer, int n,
        RolloutSettings settings, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var encoded = prompts.Select(p => PromptTokens.Encode(tokenizer, p.Prompt)).ToList();
        var requests = prompts.SelectMany((p, i) => Enumerable.Range(0, n)
            .Select(k => new RolloutRequest(new TrajectoryId(new PromptId(p.Id), 0, k), encoded[i]))).ToList();
        var (trajectories, _) = RolloutWorker.Generate(policy, requests, settings, policyVersion: 0, seed);
        return prompts.Select((p, i) => new PromptSamples(p, encoded[i], Enumerable.Range(i * n, n)
            .Select(r => new SampledResponse(trajectories[r].ResponseTokens, RewardJudging.Judge(trajectories[r], p, tokenizer).Correct)).ToList()))
            .ToList();
    }

    /// <summary>Shortest rejection sampling: per prompt with a correct sample, the shortest correct one as an SFT target.</summary>
    public static IReadOnlyList<(int[] Prompt, int[] Response)> ShortestCorrectTargets(IEnumerable<PromptSamples> samples) =>
        samples.Where(s => s.ShortestCorrect is not null).Select(s => (s.PromptTokens, s.ShortestCorrect!.Tokens)).ToList();

    /// <summary>
    /// DPO pairs (k1.5 §2.4): per prompt with a correct sample, the shortest correct response is the positive; every wrong
    /// response longer than it, and every correct one at least <paramref name="lengthRatio"/> times its length, is a negative.
    /// </summary>
    public static IReadOnlyList<PreferencePair> PreferencePairs(IEnumerable<PromptSamples> samples, double lengthRatio)
    {
        if (!(lengthRatio >= 1)) throw new ArgumentOutOfRangeException(nameof(lengthRatio), lengthRatio, "must be >= 1");
        var pairs = new List<PreferencePair>();
        foreach (var s in samples)
        {
            if (s.ShortestCorrect is not { } positive) continue;
            foreach (var r in s.Responses)
            {
                bool negative = r.Correct ? r.Length >= lengthRatio * positive.Length : r.Length > positive.Length;
                if (negative) pairs.Add(new PreferencePair(s.PromptTokens, positive.Tokens, r.Tokens));
            }
        }
        return pairs;
    }
}
