using System.Text.RegularExpressions;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Labelled (question, reference, response, correct) examples from the built-in task families that are judged in process
/// (sum, countdown), for training and measuring model judges. Each prompt yields responses of the
/// <see cref="JudgeExampleKind"/>s: the demonstration, the right answer reformatted ("17.0", "+17", spaced operators),
/// a slip in the reasoning with the right answer, an answer off by one, the flawed demonstration, and the right answer
/// in the wrong place. The label is the kind's, and the family's rule verifier agrees with it: a response it judges
/// otherwise is left out. So is a response whose <see cref="JudgeRationale"/> would not reach its label, so the
/// chain-of-thought judge is never taught a wrong step. (Code is not among the families: its labels need the sandbox.)
/// </summary>
public static partial class JudgeExamples
{
    public static readonly IReadOnlyList<string> Families = ["sum", "countdown"];

    /// <summary>
    /// Examples from prompts of <paramref name="families"/> drawn by <see cref="PromptSetBuilder"/>: its test set is the
    /// held-out side, its training set the training side, so no canonical form (<see cref="ITaskFamily.Canonical"/>: a
    /// reordering of the same terms or numbers) is on both. Every prompt gives <paramref name="variantsPerPrompt"/>
    /// responses, alternately correct and incorrect, their kinds drawn at random. Deterministic for a seed.
    /// </summary>
    public static JudgeExampleSplit Build(IReadOnlyList<ITaskFamily> families, int trainPromptsPerLevel, int heldOutPromptsPerLevel,
        int variantsPerPrompt, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(variantsPerPrompt, 1);
        var unknown = families.FirstOrDefault(f => !Families.Contains(f.Name));
        if (unknown is not null) throw new ArgumentException($"no judge examples for task family '{unknown.Name}' (known: {string.Join(", ", Families)})", nameof(families));
        var splits = PromptSetBuilder.Build(families, trainPromptsPerLevel, validationPerLevel: 0, testPerLevel: heldOutPromptsPerLevel, seed);
        var byName = families.ToDictionary(f => f.Name);
        // One stream per side: the held-out examples do not change with the number of training prompts.
        List<JudgeExample> Examples(IEnumerable<PromptRecord> prompts, int stream)
        {
            var rng = new Random(unchecked(seed * 2 + stream) & int.MaxValue);
            return prompts.SelectMany(p => ForPrompt(byName[p.Tags[0]], p, rng, variantsPerPrompt)).ToList();
        }
        return new JudgeExampleSplit(Examples(splits.Train, 1), Examples(splits.Test, 2));
    }

    /// <summary><paramref name="count"/> responses to one prompt, alternating correct and incorrect kinds.</summary>
    public static IReadOnlyList<JudgeExample> ForPrompt(ITaskFamily family, PromptRecord prompt, Random rng, int count)
    {
        var correctKinds = JudgeExampleKinds.All.Where(k => k.IsCorrect()).ToArray();
        var wrongKinds = JudgeExampleKinds.All.Where(k => !k.IsCorrect()).ToArray();
        string canonical = PromptSetBuilder.Key(family, prompt);
        var result = new List<JudgeExample>(count);
        for (int attempts = 0; result.Count < count && attempts < 4 * count; attempts++)
        {
            var kinds = result.Count % 2 == 0 ? correctKinds : wrongKinds;
            var kind = kinds[rng.Next(kinds.Length)];
            var response = Respond(family, prompt, kind, rng);
            if (response is null || JudgeRationale.For(family.Name, prompt.Answer, response).Same != kind.IsCorrect()) continue;
            // The rule verifier has the last word: a variant it judges otherwise is not this kind after all.
            if (family.Verifier.Verify(prompt, response).Correct != kind.IsCorrect()) continue;
            result.Add(new JudgeExample(family.Name, kind, prompt.Prompt, prompt.Answer, response, kind.IsCorrect(), canonical));
        }
        return result;
    }

    /// <summary>A response of <paramref name="kind"/>, or null where the prompt has none (no dead end to slip on).</summary>
    public static string? Respond(ITaskFamily family, PromptRecord prompt, JudgeExampleKind kind, Random rng) => family.Name switch
    {
        "sum" => Sum(family, prompt, kind, rng),
        "countdown" => Countdown(family, prompt, kind, rng),
        _ => throw new ArgumentException($"no judge examples for task family '{family.Name}'", nameof(family)),
    };

    private static (string Reasoning, string Answer) Split(string demonstration)
    {
        int marker = demonstration.LastIndexOf(FinalAnswer.Marker);
        return (demonstration[..marker], demonstration[(marker + 1)..]);
    }

    private static T Pick<T>(Random rng, params T[] options) => options[rng.Next(options.Length)];

    // "3,8,10,17#17"
    private static string? Sum(ITaskFamily family, PromptRecord prompt, JudgeExampleKind kind, Random rng)
    {
        var (chain, answer) = Split(family.Demonstrate(prompt, rng, flawed: false));
        int value = int.Parse(answer);
        return kind switch
        {
            JudgeExampleKind.Correct => chain + "#" + answer,
            JudgeExampleKind.Reformatted => chain + "#" + Pick(rng, answer + ".0", "+" + answer, "0" + answer, " " + answer + " ", answer + ".00"),
            JudgeExampleKind.SlipButRightAnswer => Split(family.Demonstrate(prompt, rng, flawed: true)).Reasoning + "#" + answer,
            JudgeExampleKind.OffByOne => chain + "#" + (value == 0 || rng.Next(2) == 0 ? value + 1 : value - 1),
            JudgeExampleKind.Flawed => family.Demonstrate(prompt, rng, flawed: true),
            _ => Pick(rng, chain, chain + "#" + answer + "#", answer + "#" + chain),
        };
    }

    // "4+7=11 no;7-4=3 no;4*2=8,8+7=15 ok#4*2+7"
    private static string? Countdown(ITaskFamily family, PromptRecord prompt, JudgeExampleKind kind, Random rng)
    {
        var (trace, expression) = Split(family.Demonstrate(prompt, rng, flawed: false));
        switch (kind)
        {
            case JudgeExampleKind.Correct:
                return trace + "#" + expression;
            case JudgeExampleKind.Reformatted:
                return trace + "#" + (rng.Next(2) == 0 ? Operator().Replace(expression, " $0 ") : " " + expression);
            case JudgeExampleKind.SlipButRightAnswer:
            {
                // A dead end's result miswritten by one: the search still ends at the right expression.
                var deadEnds = DeadEndResult().Matches(trace);
                if (deadEnds.Count == 0) return null;
                var slip = deadEnds[rng.Next(deadEnds.Count)];
                var wrong = long.Parse(slip.Groups[1].Value) + 1;
                return trace[..slip.Groups[1].Index] + wrong + trace[(slip.Groups[1].Index + slip.Groups[1].Length)..] + "#" + expression;
            }
            case JudgeExampleKind.OffByOne:
                return trace + "#" + OffByOneLiteral(expression, rng);
            case JudgeExampleKind.Flawed:
                return family.Demonstrate(prompt, rng, flawed: true);
            default:
                return Pick(rng, trace + "#", trace + " " + expression, expression + "#" + trace);
        }
    }

    /// <summary>One number of the expression, one more or one less (never below 1).</summary>
    private static string OffByOneLiteral(string expression, Random rng)
    {
        var literals = Literal().Matches(expression);
        var m = literals[rng.Next(literals.Count)];
        long v = long.Parse(m.Value);
        long changed = v <= 1 || rng.Next(2) == 0 ? v + 1 : v - 1;
        return expression[..m.Index] + changed + expression[(m.Index + m.Length)..];
    }

    [GeneratedRegex(@"[-+*]")]
    private static partial Regex Operator();

    [GeneratedRegex(@"=(\d+) no")]
    private static partial Regex DeadEndResult();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Literal();
}
