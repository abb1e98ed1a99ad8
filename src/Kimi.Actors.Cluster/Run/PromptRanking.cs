using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Tasks;
using static Kimi.Actors.Cluster.Protocol.RunControlProtocol;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// The weakest prompts of a run: the judged counts its Prompt entities journaled, joined with the prompt set (domain,
/// difficulty, tags), filtered by tag and domain, weakest first. Pure.
/// </summary>
public static class PromptRanking
{
    public static WeakestPrompts Weakest(RunId runId, IEnumerable<PromptRecord> prompts, IReadOnlyDictionary<PromptId, PromptCounts> counts,
        int count, string? tag, string? domain)
    {
        var matching = prompts.Where(p => (tag is null || p.Tags.Contains(tag, StringComparer.Ordinal))
            && (domain is null || string.Equals(p.Domain, domain, StringComparison.Ordinal))).ToList();
        var attempted = matching
            .Select(p => (Prompt: p, Counts: counts.TryGetValue(new PromptId(p.Id), out var c) ? c : default))
            .Where(x => x.Counts.Attempts > 0)
            .Select(x => new PromptSuccess(x.Prompt.Id, x.Prompt.Domain, x.Prompt.Difficulty, [.. x.Prompt.Tags], x.Counts.Attempts, x.Counts.Successes,
                (double)x.Counts.Successes / x.Counts.Attempts))
            .ToList();
        var weakest = attempted.OrderBy(p => p.SuccessRate).ThenByDescending(p => p.Attempts).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Take(count).ToList();
        return new WeakestPrompts(runId, weakest, attempted.Count, matching.Count);
    }
}
