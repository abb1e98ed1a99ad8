using System.Text;

namespace Kimi.Actors.Tasks;

/// <summary>
/// "sum": add single digits. Prompt <c>3+5+2+7=</c>; response: the running totals, then the answer,
/// <c>3,8,10,17#17</c>. Difficulty 1: 2-3 terms, 2: 4-5, 3: 6-8. Digits are 0..9.
/// A flawed demonstration gets one running total (never the first, which is only copied) off by 1..3 and
/// carries the error to the end. Canonical form: the multiset of terms, ascending (<c>2+3+5+7=</c> for
/// <c>3+5+2+7=</c>): addition does not care about order, so a reordering is the same question.
/// </summary>
public sealed class SumTask : ITaskFamily
{
    public const int MaxTerms = 8;

    public string Name => "sum";

    public string Domain => Verifiers.Arithmetic;

    public int MinDifficulty => 1;

    public int MaxDifficulty => 3;

    /// <summary>Eight terms give at most "9,18,27,36,45,54,63,72#72" (25 characters), flawed ones no more.</summary>
    public int MaxResponseChars => 32;

    public IVerifier Verifier => NumericAnswerVerifier.Instance;

    public PromptRecord Generate(Random rng, int difficulty, string id)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(id);
        var (min, max) = difficulty switch
        {
            1 => (2, 3),
            2 => (4, 5),
            3 => (6, MaxTerms),
            _ => throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, $"sum has difficulties {MinDifficulty}..{MaxDifficulty}"),
        };
        var terms = new int[rng.Next(min, max + 1)];
        for (int i = 0; i < terms.Length; i++) terms[i] = rng.Next(10);
        return new PromptRecord(id, string.Join('+', terms) + "=", terms.Sum().ToString(), Domain, difficulty, [Name]);
    }

    public string Demonstrate(PromptRecord prompt, Random rng, bool flawed)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(rng);
        var terms = ParseTerms(prompt.Prompt);
        int slipAt = -1, slip = 0;
        if (flawed)
        {
            slipAt = rng.Next(1, terms.Length);
            slip = rng.Next(1, 4) * (rng.Next(2) == 0 ? -1 : 1);
        }
        var text = new StringBuilder();
        int total = 0;
        for (int i = 0; i < terms.Length; i++)
        {
            total += terms[i];
            if (i == slipAt)
            {
                // Keep the slipped total non-negative: a minus sign would be a second, stranger mistake.
                if (total + slip < 0) slip = -slip;
                total += slip;
            }
            if (i > 0) text.Append(',');
            text.Append(total);
        }
        return text.Append(FinalAnswer.Marker).Append(total).ToString();
    }

    public string Canonical(PromptRecord prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return TryParseTerms(prompt.Prompt, out var terms)
            ? PromptCanonical.Multiset(terms, "+") + "="
            : PromptCanonical.Text(prompt.Prompt);
    }

    private static int[] ParseTerms(string prompt) =>
        TryParseTerms(prompt, out var terms) ? terms : throw new ArgumentException($"not a sum prompt: '{prompt}'", nameof(prompt));

    private static bool TryParseTerms(string? prompt, out int[] terms)
    {
        terms = [];
        if (prompt is null || prompt.Length < 2 || prompt.Length > 2 * MaxTerms || prompt[^1] != '=') return false;
        var parts = prompt[..^1].Split('+');
        if (parts.Length < 2 || parts.Any(p => p.Length != 1 || p[0] < '0' || p[0] > '9')) return false;
        terms = parts.Select(p => p[0] - '0').ToArray();
        return true;
    }
}
