using System.Globalization;

namespace Kimi.Actors.Rl.Identity;

/// <summary>One of a run's rollout generators (RolloutGenerator entity <c>rollout-N</c>, each with its own GPU worker).</summary>
public readonly record struct GeneratorSlot(int Index)
{
    public override string ToString() => "rollout-" + Index.ToString(CultureInfo.InvariantCulture);

    public static GeneratorSlot Parse(string text) =>
        text.StartsWith("rollout-", StringComparison.Ordinal)
        && int.TryParse(text.AsSpan("rollout-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            ? new GeneratorSlot(i)
            : throw new FormatException($"'{text}' is not a generator slot (rollout-N)");
}

/// <summary>One RewardJudge entity (<c>judge-N</c>) that judged batches are spread over.</summary>
public readonly record struct JudgeSlot(int Index)
{
    public override string ToString() => "judge-" + Index.ToString(CultureInfo.InvariantCulture);

    public static JudgeSlot Parse(string text) =>
        text.StartsWith("judge-", StringComparison.Ordinal)
        && int.TryParse(text.AsSpan("judge-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            ? new JudgeSlot(i)
            : throw new FormatException($"'{text}' is not a judge slot (judge-N)");
}

/// <summary>
/// One request a run sent to a worker, judge or prompt: the session that sent it (a fresh nonce each time the run
/// becomes active) and its number in that session. A reply repeats it, so a late reply to an older session or to a
/// request already answered is recognised and ignored.
/// </summary>
public readonly record struct RequestId(long Session, long Sequence)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Session:x}-{Sequence}");
}
