using System.Text.Json;

namespace Kimi.Actors.Tasks;

/// <summary>
/// The settings of <see cref="MathAnswerVerifier"/>: where the answer is and whether units ("5 cm", "\text{ m}",
/// "30^\circ", "\$5") are stripped before comparing. A prompt overrides them with the extra fields
/// <c>"extraction"</c> (one of <see cref="AnswerExtractions.Names"/>) and <c>"strip-units"</c> (true/false).
/// </summary>
public sealed record MathVerifierOptions(AnswerExtraction Extraction = AnswerExtraction.Auto, bool StripUnits = true)
{
    public const string ExtractionField = "extraction", StripUnitsField = "strip-units";
}

/// <summary>
/// Math answer equivalence (the "math" domain): extracts the answer (<see cref="AnswerExtraction"/>), normalizes
/// both it and the reference (<see cref="MathNormalizer"/>), parses them to exact values (<see cref="MathParser"/>)
/// and compares exactly — no rounding, so it is never true for a different value. Text that is not a supported
/// value is equal only when its normalized form is identical to the reference's. Every verdict carries a reason.
/// </summary>
public sealed class MathAnswerVerifier(MathVerifierOptions? options = null) : IVerifier
{
    public static MathAnswerVerifier Instance { get; } = new();

    public MathVerifierOptions Options { get; } = options ?? new MathVerifierOptions();

    public VerifyResult Verify(PromptRecord prompt, string response)
    {
        if (prompt?.Answer is null) return VerifyResult.Fail(VerifyReasons.BadReference);
        if (!TryOptionsFor(prompt, out var opts, out var bad)) return VerifyResult.Fail(bad);
        if (!AnswerExtractions.TryExtract(response, opts.Extraction, out var answer, out var failure)) return failure;
        var (equal, reason) = Compare(answer, prompt.Answer, opts.StripUnits);
        return equal ? VerifyResult.Ok(answer) : VerifyResult.Fail(reason, answer);
    }

    /// <summary>Compares an answer with a reference: (true, "ok") or (false, why not).</summary>
    public static (bool Equal, string Reason) Compare(string answer, string reference, bool stripUnits = true)
    {
        if (answer.Length > FinalAnswer.MaxChars) return (false, VerifyReasons.AnswerTooLong);
        if (reference.Length > FinalAnswer.MaxChars * 4) return (false, VerifyReasons.BadReference);
        var a = MathNormalizer.Normalize(answer, stripUnits: false);
        var r = MathNormalizer.Normalize(reference, stripUnits: false);
        var (av, aError) = Parse(answer, a, stripUnits);
        var (rv, rError) = Parse(reference, r, stripUnits);
        if (av is not null && rv is not null)
        {
            if (av.SameAs(rv)) return (true, VerifyReasons.Ok);
            return (false, av.Kind == rv.Kind ? VerifyReasons.WrongValue : $"{VerifyReasons.WrongForm}: {av.Kind}, expected {rv.Kind}");
        }
        // Outside the exact language (symbols, words) only identical normalized text counts.
        if (Squeeze(a) == Squeeze(r) && a.Length > 0) return (true, VerifyReasons.Ok);
        if (rv is null) return (false, $"{VerifyReasons.BadReference}: {rError}");
        return (false, aError!.StartsWith(VerifyReasons.Unsupported, StringComparison.Ordinal) ? aError : $"{VerifyReasons.NotANumber}: {aError}");
    }

    /// <summary>Whether <paramref name="answer"/> parses to an exact value (used by tests and curation).</summary>
    public static (MathValue? Value, string? Error) TryParse(string normalized)
    {
        if (normalized.Length == 0) return (null, "empty");
        try { return (MathParser.Parse(normalized), null); }
        catch (FormatException e) { return (null, e.Message); }
        catch (UnsupportedMathException e) { return (null, $"{VerifyReasons.Unsupported}: {e.Message}"); }
        catch (DivideByZeroException) { return (null, VerifyReasons.DivisionByZero); }
    }

    // Units go only where what is left is a value: stripping words from "2x + y" would make it equal to "2x + z".
    private static (MathValue? Value, string? Error) Parse(string raw, string normalized, bool stripUnits)
    {
        var parsed = TryParse(normalized);
        if (parsed.Value is not null || !stripUnits) return parsed;
        var stripped = TryParse(MathNormalizer.Normalize(raw, stripUnits: true));
        return stripped.Value is not null ? stripped : parsed;
    }

    private static string Squeeze(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));

    private bool TryOptionsFor(PromptRecord prompt, out MathVerifierOptions opts, out string reason)
    {
        opts = Options;
        reason = "";
        if (prompt.Extra is not { } extra) return true;
        if (extra.TryGetValue(MathVerifierOptions.ExtractionField, out var e))
        {
            try { opts = opts with { Extraction = AnswerExtractions.Parse(e.ValueKind == JsonValueKind.String ? e.GetString()! : "") }; }
            catch (ArgumentException)
            {
                reason = $"{VerifyReasons.BadPrompt}: {MathVerifierOptions.ExtractionField} must be one of {string.Join(", ", AnswerExtractions.Names)}";
                return false;
            }
        }
        if (extra.TryGetValue(MathVerifierOptions.StripUnitsField, out var u))
        {
            if (u.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                reason = $"{VerifyReasons.BadPrompt}: {MathVerifierOptions.StripUnitsField} must be true or false";
                return false;
            }
            opts = opts with { StripUnits = u.GetBoolean() };
        }
        return true;
    }
}
