using System.Numerics;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Exact numeric answers: integers, decimals and simple fractions ("17", "+17", "17.0", " 34/2 ", "-6/8",
/// ".5"), parsed to a reduced fraction so equivalent spellings compare equal. No exponents, thousands
/// separators or units. Input is capped at <see cref="FinalAnswer.MaxChars"/> characters, so the
/// BigInteger arithmetic stays small whatever the text.
/// </summary>
public static class NumericAnswer
{
    /// <summary>Parses <paramref name="text"/> to numerator/denominator (denominator &gt; 0, reduced).</summary>
    /// <returns>null on success, otherwise the reason ("not a number", "division by zero", "answer too long").</returns>
    public static string? TryParse(ReadOnlySpan<char> text, out BigInteger numerator, out BigInteger denominator)
    {
        numerator = BigInteger.Zero;
        denominator = BigInteger.One;
        var s = text.Trim();
        if (s.Length > FinalAnswer.MaxChars) return VerifyReasons.AnswerTooLong;

        int slash = s.IndexOf('/');
        if (slash >= 0)
        {
            var top = s[..slash].Trim();
            var bottom = s[(slash + 1)..].Trim();
            if (!TryParseSignedDigits(top, out var n) || !IsDigits(bottom)) return VerifyReasons.NotANumber;
            var d = BigInteger.Parse(bottom);
            if (d.IsZero) return VerifyReasons.DivisionByZero;
            (numerator, denominator) = Reduce(n, d);
            return null;
        }

        bool negative = false;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        int dot = s.IndexOf('.');
        var whole = dot < 0 ? s : s[..dot];
        var fraction = dot < 0 ? ReadOnlySpan<char>.Empty : s[(dot + 1)..];
        if (whole.IsEmpty && fraction.IsEmpty) return VerifyReasons.NotANumber;
        if (!(whole.IsEmpty || IsDigits(whole)) || !(fraction.IsEmpty || IsDigits(fraction))) return VerifyReasons.NotANumber;

        var value = whole.IsEmpty ? BigInteger.Zero : BigInteger.Parse(whole);
        var scale = BigInteger.Pow(10, fraction.Length);
        if (!fraction.IsEmpty) value = value * scale + BigInteger.Parse(fraction);
        (numerator, denominator) = Reduce(negative ? -value : value, scale);
        return null;
    }

    /// <summary>True when both texts parse and denote the same number.</summary>
    public static bool AreEquivalent(string a, string b) =>
        TryParse(a, out var n1, out var d1) is null && TryParse(b, out var n2, out var d2) is null && n1 == n2 && d1 == d2;

    private static bool TryParseSignedDigits(ReadOnlySpan<char> s, out BigInteger value)
    {
        value = BigInteger.Zero;
        bool negative = false;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (!IsDigits(s)) return false;
        value = BigInteger.Parse(s);
        if (negative) value = -value;
        return true;
    }

    // BigInteger.Parse alone would accept whitespace, signs and culture-specific digits; only ASCII digits count here.
    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if (c < '0' || c > '9') return false;
        return true;
    }

    private static (BigInteger, BigInteger) Reduce(BigInteger n, BigInteger d)
    {
        if (d.Sign < 0) { n = -n; d = -d; }
        var g = BigInteger.GreatestCommonDivisor(n, d);
        return g.IsOne || g.IsZero ? (n, d) : (n / g, d / g);
    }
}
