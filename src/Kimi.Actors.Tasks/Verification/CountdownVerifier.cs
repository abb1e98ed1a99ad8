using System.Numerics;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Verifies a countdown answer: the expression after '#' must parse (+ - * and parentheses over
/// integers), use only the given numbers (each at most as often as given) and equal the target.
/// The numbers and target come from the prompt text or, when present, <c>Extra["numbers"]</c> and
/// <c>Extra["target"]</c>. Used for the "search" domain.
/// </summary>
public sealed class CountdownVerifier : IVerifier
{
    public static CountdownVerifier Instance { get; } = new();

    public VerifyResult Verify(PromptRecord prompt, string response)
    {
        if (!FinalAnswer.TryExtract(response, out var answer, out var failure)) return failure;
        if (!CountdownPuzzle.TryFrom(prompt, out var puzzle)) return VerifyResult.Fail(VerifyReasons.BadPrompt, answer);

        var reason = CountdownExpression.TryEvaluate(answer, out var value, out var literals);
        if (reason is not null) return VerifyResult.Fail(reason, answer);

        var available = new Dictionary<BigInteger, int>();
        foreach (var n in puzzle.Numbers)
            available[n] = available.GetValueOrDefault(n) + 1;
        foreach (var literal in literals)
        {
            if (!available.TryGetValue(literal, out var left)) return VerifyResult.Fail(VerifyReasons.NumberNotInList, answer);
            if (left == 0) return VerifyResult.Fail(VerifyReasons.UsesNumberTwice, answer);
            available[literal] = left - 1;
        }
        return value == puzzle.Target ? VerifyResult.Ok(answer) : VerifyResult.Fail(VerifyReasons.WrongValue, answer);
    }
}
