namespace Kimi.Console.Interactive;

/// <summary>
/// What Tab completes: command names as the first word, each command's first argument (hyperparameter names after
/// <c>set</c>, <c>get</c> and <c>history</c>; command names after <c>help</c>), and options (words starting with <c>--</c>).
/// </summary>
public sealed record CompletionWords(IReadOnlyList<string> Commands, IReadOnlyDictionary<string, IReadOnlyList<string>> FirstArguments,
    IReadOnlyList<string> Options);

/// <param name="Candidates">What the word could still become, when Tab could not decide (shown under the line); else empty.</param>
public sealed record Completed(string Text, int Cursor, IReadOnlyList<string> Candidates);

public static class Completion
{
    /// <summary>
    /// Completes the word that ends at <paramref name="cursor"/>: one match is written out with a space after it; several
    /// are extended to their longest common prefix, and listed when that adds nothing.
    /// </summary>
    public static Completed Complete(string text, int cursor, CompletionWords words)
    {
        int start = cursor;
        while (start > 0 && text[start - 1] != ' ') start--;
        var word = text[start..cursor];
        var before = text[..start].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        IReadOnlyList<string> choices = word.StartsWith('-') ? words.Options
            : before.Length == 0 ? words.Commands
            : before.Length == 1 && words.FirstArguments.TryGetValue(before[0], out var arguments) ? arguments
            : [];
        var matches = choices.Where(c => c.StartsWith(word, StringComparison.OrdinalIgnoreCase)).Distinct().ToList();
        if (matches.Count == 0) return new Completed(text, cursor, []);
        if (matches.Count == 1) return Replace(text, start, cursor, matches[0] + (cursor < text.Length && text[cursor] == ' ' ? "" : " "), []);
        var common = CommonPrefix(matches);
        return common.Length > word.Length ? Replace(text, start, cursor, common, []) : new Completed(text, cursor, matches);
    }

    private static Completed Replace(string text, int start, int cursor, string with, IReadOnlyList<string> candidates) =>
        new(text[..start] + with + text[cursor..], start + with.Length, candidates);

    private static string CommonPrefix(IReadOnlyList<string> words)
    {
        int n = words.Min(w => w.Length);
        int length = 0;
        while (length < n && words.All(w => char.ToLowerInvariant(w[length]) == char.ToLowerInvariant(words[0][length]))) length++;
        return words[0][..length];
    }
}
