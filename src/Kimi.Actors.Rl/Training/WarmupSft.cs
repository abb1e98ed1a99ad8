using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// The warm-up SFT operation of a run (k1.5 §2.3): the task suite's long-CoT demonstrations, drawn per step from the
/// run seed (a fraction flawed), packed and trained. The local engine and the Trainer's GPU worker both call this.
/// </summary>
public static class WarmupSft
{
    public static IReadOnlyList<SftStepStats> Run(LlamaForCausalLM policy, TaskSuite tasks, SftOptions options, long seed,
        ITokenizer tokenizer, Action<SftStepStats>? onStep = null, CancellationToken cancel = default) =>
        SftTrainer.Train(policy, options.Validate(),
            step => tasks.Demonstrations(options.SequencesPerStep, options.FlawRate, seed, step, tokenizer, policy.Config.Vision?.Layout),
            tokenizer.PadId, onStep, cancel);
}
