using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace Kimi.Actors.Tasks;

/// <summary>
/// A countdown instance: the given numbers (a multiset) and the target. The prompt text is
/// <c>4 7 2&gt;15:</c>; records may also carry <c>Extra["numbers"]</c> (array of integers) and
/// <c>Extra["target"]</c> (integer), which take precedence over the text.
/// </summary>
internal sealed record CountdownPuzzle(IReadOnlyList<long> Numbers, long Target)
{
    public const int MaxNumbers = 16;
    public const string NumbersKey = "numbers";
    public const string TargetKey = "target";

    // A prompt longer than this cannot be a countdown prompt with at most MaxNumbers numbers of 19 digits.
    private const int MaxPromptChars = (MaxNumbers + 1) * 20 + 8;

    public string ToPrompt() => string.Join(' ', Numbers) + ">" + Target + ":";

    /// <summary>Reads the puzzle from a record without throwing, whatever the record holds.</summary>
    public static bool TryFrom(PromptRecord? prompt, [NotNullWhen(true)] out CountdownPuzzle? puzzle)
    {
        puzzle = null;
        if (prompt is null) return false;
        IReadOnlyList<long>? numbers = null;
        long? target = null;
        if (prompt.Extra is { } extra)
        {
            if (extra.TryGetValue(NumbersKey, out var n))
            {
                numbers = ReadNumbers(n);
                if (numbers is null) return false;
            }
            if (extra.TryGetValue(TargetKey, out var t))
            {
                if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out var tv)) return false;
                target = tv;
            }
        }
        if (numbers is null || target is null)
        {
            if (!TryParsePrompt(prompt.Prompt, out var textNumbers, out var textTarget)) return false;
            numbers ??= textNumbers;
            target ??= textTarget;
        }
        puzzle = new CountdownPuzzle(numbers, target.Value);
        return true;
    }

    private static long[]? ReadNumbers(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array) return null;
        int count = element.GetArrayLength();
        if (count < 1 || count > MaxNumbers) return null;
        var result = new long[count];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out result[i++])) return null;
        }
        return result;
    }

    private static bool TryParsePrompt(string? text, [NotNullWhen(true)] out long[]? numbers, out long target)
    {
        numbers = null;
        target = 0;
        if (text is null || text.Length > MaxPromptChars) return false;
        var s = text.AsSpan().Trim();
        int gt = s.IndexOf('>');
        if (gt < 0 || s.IsEmpty || s[^1] != ':') return false;
        if (!TryParseNonNegative(s[(gt + 1)..^1].Trim(), out target)) return false;
        var list = new List<long>();
        foreach (var range in s[..gt].Split(' '))
        {
            var part = s[..gt][range];
            if (part.IsEmpty) continue;
            if (list.Count == MaxNumbers || !TryParseNonNegative(part, out var value)) return false;
            list.Add(value);
        }
        if (list.Count == 0) return false;
        numbers = list.ToArray();
        return true;
    }

    // NumberStyles.None: ASCII digits only, no sign, no spaces; values past long.MaxValue fail.
    private static bool TryParseNonNegative(ReadOnlySpan<char> s, out long value) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
