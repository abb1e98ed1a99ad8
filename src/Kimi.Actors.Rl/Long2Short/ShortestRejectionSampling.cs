using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Long2Short;

/// <summary>
/// Shortest rejection sampling (k1.5 §2.4): SFT of the long policy on its own shortest correct responses
/// (<see cref="ResponseSampling.ShortestCorrectTargets"/>), packed like warm-up SFT; each step draws its targets with a
/// step-specific seed.
/// </summary>
public static class ShortestRejectionSampling
{
    public static IReadOnlyList<SftStepStats> Train(LlamaForCausalLM policy, IReadOnlyList<(int[] Prompt, int[] Response)> targets, SftOptions options,
        long seed, int padId, Action<SftStepStats>? onStep = null)
    {
        if (targets.Count == 0) throw new ArgumentException("no SFT targets: the long policy answered no sampled prompt correctly");
        return SftTrainer.Train(policy, options.Validate(), step =>
        {
            var rng = Seeds.Random(seed, Seeds.Long2Short, 1_000_000 + step);
            return Enumerable.Range(0, options.SequencesPerStep).Select(_ => targets[rng.Next(targets.Count)]).Select(t => new Demonstration(t.Prompt, t.Response)).ToList();
        }, padId, onStep);
    }
}
