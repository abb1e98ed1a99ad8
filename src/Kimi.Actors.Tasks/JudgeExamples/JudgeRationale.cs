using System.Text;

namespace Kimi.Actors.Tasks;

/// <summary>
/// The reasoning a chain-of-thought judge is taught to write before its verdict, e.g. <c>final:17 ref:16 1=1 7x6 differ</c>:
/// the response's final answer where the family's verifier reads it, in a canonical form, beside the reference's, the two
/// compared character by character, then <c>same</c> or <c>differ</c>. Canonical forms: numbers without sign, leading zeros, trailing ".0" or spaces (sum);
/// the expression without spaces (countdown). Judge
/// examples keep only responses for which this comparison and the rule verifier agree (<see cref="JudgeExamples"/>).
/// </summary>
public static class JudgeRationale
{
    /// <summary>Longest answer the rationale copies; longer ones are cut (and so never "same").</summary>
    public const int MaxAnswerChars = 24;

    public const string None = "none", Same = "same", Differ = "differ";

    public static (string Text, bool Same) For(string family, string reference, string response)
    {
        (string? answer, string referenceForm) = family switch
        {
            "sum" => (FinalAnswer.TryExtract(response, out var a, out _) ? Number(a) : null, Number(reference)),
            "countdown" => (FinalAnswer.TryExtract(response, out var a, out _) ? NoSpaces(a) : null, NoSpaces(reference)),
            _ => throw new ArgumentException($"no judge rationale for task family '{family}' (known: sum, countdown)", nameof(family)),
        };
        string shown = answer is null ? None : Cap(answer), referenceShown = Cap(referenceForm);
        bool same = answer is not null && answer.Length <= MaxAnswerChars && answer == referenceForm;
        string pairs = answer is null ? "" : Pairs(shown, referenceShown);
        return ($"final:{shown} ref:{referenceShown} {pairs}{(same ? Same : Differ)}", same);
    }

    /// <summary>
    /// The two forms character by character, <c>1=1 7x6 </c>: each pair is its two characters around '=' or 'x', so a
    /// small judge decides one pair from the two characters just written rather than comparing two spans at once; a
    /// position only one form has is 'x' with '_' for the missing character (one such pair past the reference's end).
    /// </summary>
    private static string Pairs(string answer, string reference)
    {
        var sb = new StringBuilder(4 * Math.Max(answer.Length, reference.Length));
        // Past the reference's end one pair shows the answer is longer.
        for (int i = 0; i < Math.Min(Math.Max(answer.Length, reference.Length), reference.Length + 1); i++)
        {
            bool both = i < answer.Length && i < reference.Length;
            char a = i < answer.Length ? answer[i] : '_', b = i < reference.Length ? reference[i] : '_';
            sb.Append(a).Append(both && a == b ? '=' : 'x').Append(b).Append(' ');
        }
        return sb.ToString();
    }

    /// <summary>An integer spelled with a sign, leading zeros, a zero fraction or spaces as its plain digits; anything else as it is.</summary>
    private static string Number(string text)
    {
        var s = text.Trim();
        if (s.StartsWith('+')) s = s[1..];
        int dot = s.IndexOf('.');
        if (dot >= 0 && s[(dot + 1)..].All(c => c == '0')) s = s[..dot];
        if (s.Length == 0 || !s.All(char.IsAsciiDigit)) return text.Trim();
        s = s.TrimStart('0');
        return s.Length == 0 ? "0" : s;
    }

    private static string NoSpaces(string text) => new(text.Where(c => !char.IsWhiteSpace(c)).ToArray());

    private static string Cap(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, MaxAnswerChars));
        foreach (var c in text.Take(MaxAnswerChars)) sb.Append(c is '\n' or '\r' or '\t' ? ' ' : c);
        return sb.ToString();
    }
}
