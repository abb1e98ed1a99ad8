using System.Text;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Canonical forms of prompts, the identity under which a suite's train, validation and test sets are kept disjoint
/// (<see cref="ITaskFamily.Canonical"/>). Loaded prompt-set files are compared by <see cref="Text"/>.
/// </summary>
public static class PromptCanonical
{
    /// <summary>
    /// Normalised text: Unicode compatibility composition (NFKC, so a full-width digit is a digit), every run of white
    /// space as one space, none at either end. Case is kept: in code and in names it matters.
    /// </summary>
    public static string Text(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var normalised = prompt.IsNormalized(NormalizationForm.FormKC) ? prompt : prompt.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(normalised.Length);
        bool space = false;
        foreach (var c in normalised)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>A multiset written in one order (ascending), so every ordering of it reads the same.</summary>
    public static string Multiset<T>(IEnumerable<T> items, string separator) where T : IComparable<T> =>
        string.Join(separator, items.Order());
}
