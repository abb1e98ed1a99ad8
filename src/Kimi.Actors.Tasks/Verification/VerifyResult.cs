namespace Kimi.Actors.Tasks;

/// <summary>
/// The verdict on one response. <see cref="Reason"/> is short and machine-friendly (see
/// <see cref="VerifyReasons"/>); <see cref="ExtractedAnswer"/> is the trimmed text after the last '#',
/// or null when there is none or it is longer than <see cref="FinalAnswer.MaxChars"/>.
/// </summary>
public sealed record VerifyResult(bool Correct, string Reason, string? ExtractedAnswer)
{
    public static VerifyResult Ok(string answer) => new(true, VerifyReasons.Ok, answer);

    public static VerifyResult Fail(string reason, string? answer = null) => new(false, reason, answer);
}
