namespace Kimi.Actors.Tasks;

/// <summary>
/// Numeric answer equivalence against <see cref="PromptRecord.Answer"/> (see <see cref="NumericAnswer"/>
/// for the accepted spellings). Used for the "arithmetic" domain, whose answers are plain numbers after '#'.
/// </summary>
public sealed class NumericAnswerVerifier : IVerifier
{
    public static NumericAnswerVerifier Instance { get; } = new();

    public VerifyResult Verify(PromptRecord prompt, string response)
    {
        if (!FinalAnswer.TryExtract(response, out var answer, out var failure)) return failure;
        if (prompt?.Answer is null || NumericAnswer.TryParse(prompt.Answer, out var refNum, out var refDen) is not null)
            return VerifyResult.Fail(VerifyReasons.BadReference, answer);
        var reason = NumericAnswer.TryParse(answer, out var num, out var den);
        if (reason is not null) return VerifyResult.Fail(reason, answer);
        return num == refNum && den == refDen ? VerifyResult.Ok(answer) : VerifyResult.Fail(VerifyReasons.WrongValue, answer);
    }
}
