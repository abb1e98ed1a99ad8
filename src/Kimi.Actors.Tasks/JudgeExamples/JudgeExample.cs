namespace Kimi.Actors.Tasks;

/// <summary>
/// One labelled example for training and measuring model judges: a question, its reference answer, a response, and
/// whether the response is correct, which is what the family's rule verifier says of it.
/// <see cref="Kind"/> is the variant the response is, so accuracy can be broken down by it; <see cref="Canonical"/> is the
/// question's canonical form, qualified by its family (<see cref="PromptSetBuilder.Key"/>): held-out examples share none with training.
/// </summary>
public sealed record JudgeExample(string Family, JudgeExampleKind Kind, string Question, string Reference, string Response, bool Correct, string Canonical);

/// <summary>The variants of a response that the judge examples hold, correct ones first.</summary>
public enum JudgeExampleKind
{
    /// <summary>The family's own demonstration.</summary>
    Correct,
    /// <summary>The right answer written differently: "17.0", "+17", spaces around operators.</summary>
    Reformatted,
    /// <summary>A slip in the reasoning, but the final answer is right (rule verifiers judge only the answer).</summary>
    SlipButRightAnswer,
    /// <summary>Sound reasoning, then an answer off by one (a total, a number of the expression).</summary>
    OffByOne,
    /// <summary>The family's flawed demonstration: one plausible mistake carried to a wrong answer.</summary>
    Flawed,
    /// <summary>The right answer, but not where the verifier reads it (no marker, after it something else, an empty answer).</summary>
    WrongPlace,
}

public static class JudgeExampleKinds
{
    public static IReadOnlyList<JudgeExampleKind> All { get; } = Enum.GetValues<JudgeExampleKind>();

    /// <summary>Whether responses of this kind are correct.</summary>
    public static bool IsCorrect(this JudgeExampleKind kind) => kind <= JudgeExampleKind.SlipButRightAnswer;

    /// <summary>The kind's name in tables and JSON: correct, reformatted, slip-right-answer, off-by-one, flawed, wrong-place.</summary>
    public static string Name(this JudgeExampleKind kind) => kind switch
    {
        JudgeExampleKind.Correct => "correct",
        JudgeExampleKind.Reformatted => "reformatted",
        JudgeExampleKind.SlipButRightAnswer => "slip-right-answer",
        JudgeExampleKind.OffByOne => "off-by-one",
        JudgeExampleKind.Flawed => "flawed",
        _ => "wrong-place",
    };
}

/// <summary>Training and held-out judge examples, from prompts whose canonical forms do not overlap.</summary>
public sealed record JudgeExampleSplit(IReadOnlyList<JudgeExample> Train, IReadOnlyList<JudgeExample> HeldOut);
