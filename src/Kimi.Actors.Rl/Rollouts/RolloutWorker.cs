using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Vision;

namespace Kimi.Actors.Rl.Rollouts;

/// <summary>
/// The rollout operation: turns requests into trajectories with one batched generation call under the
/// given policy version. Continuations are re-prefilled with their earlier tokens and gain a segment. Image references
/// are resolved to pixels through <paramref name="images"/> (default: the process's shared cache).
/// </summary>
public static class RolloutWorker
{
    public static (IReadOnlyList<Trajectory> Trajectories, GenerationBatchResult Stats) Generate(
        LlamaForCausalLM policy, IReadOnlyList<RolloutRequest> requests, RolloutSettings settings, long policyVersion, long seed,
        PromptImageCache? images = null)
    {
        images ??= PromptImageCache.Shared;
        int? size = policy.Config.Vision?.ImageSize;
        var genRequests = requests.Select(r => new GenerationRequest(r.PromptTokens, r.PriorTokens, r.MaxResponseTokens, images.Pixels(r.Images, size))).ToList();
        var batch = BatchGenerator.Generate(policy, genRequests, settings.ToGenerationOptions(policy.Config.EosTokenId, seed));
        var trajectories = new Trajectory[requests.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            var res = batch.Results[i];
            int[] prior = r.PriorTokens ?? [];
            var segments = (r.PriorSegments ?? []).ToList();
            if (res.Tokens.Length > 0) segments.Add(new Segment(prior.Length, res.Tokens.Length, policyVersion));
            trajectories[i] = new Trajectory(r.Id,
                [.. prior, .. res.Tokens], [.. r.PriorLogProbs ?? [], .. res.LogProbs], res.StopReason, segments);
        }
        return (trajectories, batch);
    }
}
