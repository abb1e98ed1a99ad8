using System.Text;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Canonical forms of prompts, the identity under which a suite's train, validation and test sets are kept disjoint
/// (<see cref="ITaskFamily.Canonical"/>). Loaded prompt-set files are compared by <see cref="Text"/>.
/// </summary>
public static class PromptCanonical
{
    /// <summary>
    /// Normalised text: full-width ASCII forms (U+FF01..U+FF5E) as their ASCII characters, so a full-width digit is a
    /// digit; every run of white space (the ideographic space too) as one space, none at either end. Case is kept: in
    /// code and in names it matters. Not full NFKC: these processes run with invariant globalization (no ICU), where
    /// .NET leaves compatibility forms as they are, so the fold is explicit.
    /// </summary>
    public static string Text(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var sb = new StringBuilder(prompt.Length);
        bool space = false;
        foreach (var raw in prompt)
        {
            char c = raw is >= '\uFF01' and <= '\uFF5E' ? (char)(raw - 0xFEE0) : raw;
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// A prompt record's normalised text (<see cref="Text"/>) and, for an image prompt, its images' content (their hashes,
    /// in order): two image prompts with the same text and other pictures are different questions.
    /// </summary>
    public static string Of(PromptRecord prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return prompt.HasImages ? Text(prompt.Prompt) + "\n" + string.Join("\n", prompt.Images.Select(i => i.Sha256)) : Text(prompt.Prompt);
    }

    /// <summary>A multiset written in one order (ascending), so every ordering of it reads the same.</summary>
    public static string Multiset<T>(IEnumerable<T> items, string separator) where T : IComparable<T> =>
        string.Join(separator, items.Order());
}
