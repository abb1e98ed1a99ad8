using System.Text.RegularExpressions;

namespace Kimi.Actors.Tasks;

/// <summary>The answer formats curation tells apart: only open answers stay (k1.5 §2.1: the others reward guessing or cannot be verified).</summary>
public enum PromptFormat { Open, MultipleChoice, TrueFalse, Proof }

public static partial class PromptFormats
{
    /// <summary>
    /// Multiple choice: a reference that is one option letter A..E (optionally "(B)" or "B.") and a prompt listing at
    /// least two such options. True/false: a reference of true, false, yes or no. Proof: a prompt asking to prove or
    /// show something, or an empty reference.
    /// </summary>
    public static PromptFormat Classify(PromptRecord prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var answer = (prompt.Answer ?? "").Trim();
        if (OptionLetter().IsMatch(answer) && Options().Matches(prompt.Prompt).Select(m => m.Groups[1].Value).Distinct().Count() >= 2)
            return PromptFormat.MultipleChoice;
        if (answer.ToLowerInvariant() is "true" or "false" or "yes" or "no") return PromptFormat.TrueFalse;
        if (answer.Length == 0 || ProofRequest().IsMatch(prompt.Prompt)) return PromptFormat.Proof;
        return PromptFormat.Open;
    }

    public static string Name(this PromptFormat format) => format switch
    {
        PromptFormat.MultipleChoice => "multiple-choice", PromptFormat.TrueFalse => "true-false", PromptFormat.Proof => "proof", _ => "open",
    };

    [GeneratedRegex(@"^\(?[A-E][).]?$")]
    private static partial Regex OptionLetter();

    // "(A) 3", "A) 3", "A. 3" at a line start or after a space.
    [GeneratedRegex(@"(?:^|\s)\(?([A-E])[).]\s", RegexOptions.Multiline)]
    private static partial Regex Options();

    [GeneratedRegex(@"\b(prove|show that|proof)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ProofRequest();
}
