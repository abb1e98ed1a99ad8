using System.Diagnostics.CodeAnalysis;

namespace Kimi.Actors.Tasks;

/// <summary>Where a response's final answer is: the rule is chosen per verifier and may be overridden per prompt.</summary>
public enum AnswerExtraction
{
    /// <summary>The first of boxed, answer line, marker, last number that the response has.</summary>
    Auto,
    /// <summary>The contents of the last <c>\boxed{...}</c> (or <c>\fbox{...}</c>), braces balanced.</summary>
    Boxed,
    /// <summary>The rest of the last line that starts with "Answer:" (or "Final answer:"), any case, markdown bold allowed.</summary>
    AnswerLine,
    /// <summary>The text after the last '#', the project's convention (<see cref="FinalAnswer"/>).</summary>
    Marker,
    /// <summary>The last number in the response (digits with an optional sign, separators, decimals or a slash).</summary>
    LastNumber,
}

public static class AnswerExtractions
{
    public static readonly IReadOnlyList<string> Names = ["auto", "boxed", "answer-line", "marker", "last-number"];

    public static AnswerExtraction Parse(string name) => name switch
    {
        "auto" => AnswerExtraction.Auto,
        "boxed" => AnswerExtraction.Boxed,
        "answer-line" => AnswerExtraction.AnswerLine,
        "marker" => AnswerExtraction.Marker,
        "last-number" => AnswerExtraction.LastNumber,
        _ => throw new ArgumentException($"unknown answer extraction '{name}'; expected one of {string.Join(", ", Names)}", nameof(name)),
    };

    public static string Name(this AnswerExtraction rule) => Names[(int)rule];

    /// <summary>Longest response scanned; longer ones are judged on their last part, where answers are.</summary>
    public const int MaxResponseChars = 1 << 16;

    /// <summary>The answer under <paramref name="rule"/>, or the reason there is none ("no boxed answer", ...).</summary>
    public static bool TryExtract(string? response, AnswerExtraction rule, [NotNullWhen(true)] out string? answer, [NotNullWhen(false)] out VerifyResult? failure)
    {
        answer = null;
        failure = null;
        if (response is null)
        {
            failure = VerifyResult.Fail(VerifyReasons.NoAnswerFound);
            return false;
        }
        if (response.Length > MaxResponseChars) response = response[^MaxResponseChars..];
        if (rule == AnswerExtraction.Marker) return FinalAnswer.TryExtract(response, out answer, out failure);

        string? found = null;
        string reason = rule switch
        {
            AnswerExtraction.Boxed => VerifyReasons.NoBoxedAnswer,
            AnswerExtraction.AnswerLine => VerifyReasons.NoAnswerLine,
            AnswerExtraction.LastNumber => VerifyReasons.NoNumber,
            _ => VerifyReasons.NoAnswerFound,
        };
        if (rule == AnswerExtraction.Auto)
        {
            found = Boxed(response) ?? AnswerLine(response);
            if (found is null && response.Contains(FinalAnswer.Marker)) return FinalAnswer.TryExtract(response, out answer, out failure);
            found ??= LastNumber(response);
        }
        else
        {
            found = rule switch
            {
                AnswerExtraction.Boxed => Boxed(response),
                AnswerExtraction.AnswerLine => AnswerLine(response),
                _ => LastNumber(response),
            };
        }
        if (found is null)
        {
            failure = VerifyResult.Fail(reason);
            return false;
        }
        found = found.Trim();
        if (found.Length > FinalAnswer.MaxChars)
        {
            failure = VerifyResult.Fail(VerifyReasons.AnswerTooLong);
            return false;
        }
        if (found.Length == 0)
        {
            failure = VerifyResult.Fail(VerifyReasons.EmptyAnswer, "");
            return false;
        }
        answer = found;
        return true;
    }

    private static string? Boxed(string s)
    {
        int at = Math.Max(s.LastIndexOf("\\boxed", StringComparison.Ordinal), s.LastIndexOf("\\fbox", StringComparison.Ordinal));
        if (at < 0) return null;
        int i = s.IndexOf(s[at + 1] == 'b' ? "\\boxed" : "\\fbox", at, StringComparison.Ordinal) + (s[at + 1] == 'b' ? 6 : 5);
        while (i < s.Length && s[i] == ' ') i++;
        if (i >= s.Length) return null;
        if (s[i] != '{')
        {
            // "\boxed 5": TeX takes the next token; the answer runs to the next space or dollar.
            int end = i;
            while (end < s.Length && !char.IsWhiteSpace(s[end]) && s[end] != '$') end++;
            return s[i..end];
        }
        int depth = 0;
        for (int j = i; j < s.Length; j++)
        {
            if (s[j] == '{') depth++;
            else if (s[j] == '}' && --depth == 0) return s[(i + 1)..j];
        }
        return null;
    }

    private static string? AnswerLine(string s)
    {
        foreach (var raw in s.Split('\n').Reverse())
        {
            var line = raw.Trim().TrimStart('*', '_', '#', ' ').TrimStart();
            foreach (var prefix in (string[])["final answer", "answer"])
            {
                if (!line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
                var rest = line[prefix.Length..].TrimStart('*', '_', ' ');
                if (rest.StartsWith(':')) return rest[1..].Trim().Trim('*', '_').Trim().TrimEnd('.');
            }
        }
        return null;
    }

    private static string? LastNumber(string s)
    {
        int end = s.Length - 1;
        while (end >= 0 && !char.IsAsciiDigit(s[end])) end--;
        if (end < 0) return null;
        int start = end;
        // Back over digits, separators, a decimal point and one slash, then a sign.
        while (start > 0 && (char.IsAsciiDigit(s[start - 1]) || (s[start - 1] is ',' or '.' or '/' && start >= 2 && char.IsAsciiDigit(s[start - 2]))))
            start--;
        if (start > 0 && s[start - 1] == '.') start--;
        if (start > 0 && s[start - 1] == '-' && (start == 1 || !char.IsAsciiLetterOrDigit(s[start - 2]))) start--;
        return s[start..(end + 1)];
    }
}
