namespace Kimi.Console.Interactive;

/// <summary>
/// The lines typed so far, oldest first, and where Up/Down have moved to: <see cref="Position"/> = <c>Entries.Count</c> is
/// the line being typed (<see cref="Draft"/> keeps it while an older line is shown).
/// </summary>
public sealed record History(IReadOnlyList<string> Entries, int Position, string Draft)
{
    /// <summary>How many lines are kept; older ones are forgotten.</summary>
    public const int Capacity = 500;

    public static History Empty { get; } = new([], 0, "");

    /// <summary>After a submitted line: kept unless blank or the same as the last one; back at the new line.</summary>
    public History Add(string line)
    {
        var entries = Entries;
        if (line.Trim().Length > 0 && (entries.Count == 0 || entries[^1] != line))
            entries = [.. entries.Skip(Math.Max(0, entries.Count + 1 - Capacity)), line];
        return new History(entries, entries.Count, "");
    }

    /// <summary>Up: the line before the one shown (the draft <paramref name="current"/> is kept); null at the oldest.</summary>
    public (History History, string Line)? Previous(string current)
    {
        if (Position == 0) return null;
        var draft = Position == Entries.Count ? current : Draft;
        return (this with { Position = Position - 1, Draft = draft }, Entries[Position - 1]);
    }

    /// <summary>Down: the line after the one shown, or the draft again; null at the new line.</summary>
    public (History History, string Line)? Next()
    {
        if (Position >= Entries.Count) return null;
        int next = Position + 1;
        return (this with { Position = next }, next == Entries.Count ? Draft : Entries[next]);
    }
}
