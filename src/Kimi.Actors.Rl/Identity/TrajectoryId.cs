using System.Globalization;

namespace Kimi.Actors.Rl.Identity;

/// <summary>
/// One sampled response: sample <see cref="Sample"/> of <see cref="Prompt"/>'s group drawn at <see cref="Iteration"/>. The
/// same (prompt, iteration, sample) is the same trajectory however often it is generated, resumed or redelivered,
/// which is what makes exactly-once checkable. Written <c>prompt#iteration.sample</c>.
/// </summary>
public readonly record struct TrajectoryId(PromptId Prompt, int Iteration, int Sample) : IComparable<TrajectoryId>
{
    public GroupKey Group => new(Prompt, Iteration);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prompt}#{Iteration}.{Sample}");

    /// <summary>By prompt, then iteration, then sample.</summary>
    public int CompareTo(TrajectoryId other) =>
        Prompt.CompareTo(other.Prompt) is not 0 and var c ? c : Iteration != other.Iteration ? Iteration.CompareTo(other.Iteration) : Sample.CompareTo(other.Sample);

    /// <summary>Reads what <see cref="ToString"/> wrote (the prompt id may itself contain '#').</summary>
    public static TrajectoryId Parse(string text)
    {
        int hash = text.LastIndexOf('#');
        int dot = hash < 0 ? -1 : text.IndexOf('.', hash);
        if (hash <= 0 || dot < 0
            || !int.TryParse(text.AsSpan(hash + 1, dot - hash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int iteration)
            || !int.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int sample))
            throw new FormatException($"'{text}' is not a trajectory id (prompt#iteration.sample)");
        return new TrajectoryId(new PromptId(text[..hash]), iteration, sample);
    }
}

/// <summary>One prompt's group of k samples drawn at <paramref name="Iteration"/>: the unit that trains.</summary>
public readonly record struct GroupKey(PromptId Prompt, int Iteration) : IComparable<GroupKey>
{
    public TrajectoryId Sample(int sample) => new(Prompt, Iteration, sample);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prompt}#{Iteration}");

    public int CompareTo(GroupKey other) => Prompt.CompareTo(other.Prompt) is not 0 and var c ? c : Iteration.CompareTo(other.Iteration);
}
