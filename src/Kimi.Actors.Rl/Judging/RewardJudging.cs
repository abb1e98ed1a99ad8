using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Judging;

/// <summary>
/// The judging operation: decodes a response and applies the prompt's verifier. Only a response that
/// ended by itself (end-of-sequence) can earn the reward; a verifier failure of any kind scores 0 with
/// its reason rather than failing the run.
/// </summary>
public static class RewardJudging
{
    public static JudgedTrajectory Judge(Trajectory trajectory, PromptRecord prompt, ITokenizer tokenizer, IVerifier? verifier = null)
    {
        if (trajectory.StopReason != StopReason.Stop)
            return new JudgedTrajectory(trajectory, 0, false, "unfinished: " + trajectory.StopReason.ToString().ToLowerInvariant());
        string text;
        try
        {
            var tokens = trajectory.ResponseTokens;
            int end = tokens.Length > 0 && tokens[^1] == tokenizer.EosId ? tokens.Length - 1 : tokens.Length;
            text = tokenizer.Decode(tokens.AsSpan(0, end));
            var result = (verifier ?? Verifiers.ForDomain(prompt.Domain)).Verify(prompt, text);
            return new JudgedTrajectory(trajectory, result.Correct ? 1 : 0, result.Correct, result.Reason);
        }
        catch (Exception e)
        {
            return new JudgedTrajectory(trajectory, 0, false, "verifier failed: " + e.GetType().Name + ": " + e.Message);
        }
    }
}
