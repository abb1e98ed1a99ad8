using System.Diagnostics.CodeAnalysis;

namespace Kimi.Actors.Tasks;

/// <summary>
/// The project-wide answer convention: the final answer of a response is the text after the LAST '#',
/// trimmed. Everything before it is chain of thought, which may itself contain '#'.
/// </summary>
public static class FinalAnswer
{
    public const char Marker = '#';

    /// <summary>Longest answer a verifier looks at; longer ones are rejected before any parsing or copying.</summary>
    public const int MaxChars = 256;

    /// <summary>
    /// Extracts the answer, or explains why there is none usable ("no answer marker", "answer too long",
    /// "empty answer"). Linear in the response length and allocates only the (capped) answer.
    /// </summary>
    public static bool TryExtract(string? response, [NotNullWhen(true)] out string? answer, [NotNullWhen(false)] out VerifyResult? failure)
    {
        answer = null;
        failure = null;
        int marker = response is null ? -1 : response.LastIndexOf(Marker);
        if (marker < 0)
        {
            failure = VerifyResult.Fail(VerifyReasons.NoAnswerMarker);
            return false;
        }
        var span = response.AsSpan(marker + 1).Trim();
        if (span.Length > MaxChars)
        {
            failure = VerifyResult.Fail(VerifyReasons.AnswerTooLong);
            return false;
        }
        if (span.IsEmpty)
        {
            failure = VerifyResult.Fail(VerifyReasons.EmptyAnswer, "");
            return false;
        }
        answer = span.ToString();
        return true;
    }
}
