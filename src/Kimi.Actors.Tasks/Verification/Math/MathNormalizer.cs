using System.Text;
using System.Text.RegularExpressions;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Rewrites an answer's LaTeX and typography into the small language <see cref="MathParser"/> reads: math
/// delimiters, <c>\left</c>/<c>\right</c>, spacing commands and <c>\displaystyle</c> go; <c>\dfrac</c>/<c>\tfrac</c>
/// become <c>\frac</c>, <c>\cdot</c>/<c>\times</c> '*', <c>\div</c> '/'; Unicode minus, times, π, √ and ∞ become their
/// ASCII forms; a leading <c>x =</c> goes; and, when units are stripped, <c>\text{...}</c> units, degree signs,
/// currency signs and trailing unit words go too. Every pattern is linear (no nested quantifiers) and the
/// input is capped by the caller.
/// </summary>
public static partial class MathNormalizer
{
    private static readonly (string From, string To)[] Replacements =
    [
        ("\u2212", "-"), ("\u2013", "-"), ("\u00d7", "*"), ("\u22c5", "*"), ("\u00b7", "*"), ("\u00f7", "/"),
        ("\u03c0", "\\pi "), ("\u221a", "\\sqrt"), ("\u221e", "\\infty "), ("\u222a", "\\cup "), ("\u00b0", "^\\circ"),
        ("\u2009", "\\,"), ("\u202f", "\\,"), ("\u00a0", " "),
        ("\\left.", ""), ("\\right.", ""), ("\\left", ""), ("\\right", ""), ("\\big", ""), ("\\Big", ""),
        ("\\$", "\\dollar "), ("\\displaystyle", ""), ("\\limits", ""), ("\\!", ""), ("\\(", ""), ("\\)", ""), ("\\[", ""), ("\\]", ""), ("$", ""),
        ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\cdot", "*"), ("\\times", "*"), ("\\div", "/"), ("\\%", "%"),
        ("\\qquad", " "), ("\\quad", " "), ("\\;", " "), ("\\:", " "), ("\\ ", " "), ("~", " "), ("\\infin", "\\infty"),
        ("\\lbrace", "\\{"), ("\\rbrace", "\\}"), ("\\lbrack", "["), ("\\rbrack", "]"),
    ];

    /// <summary>The answer in the parser's language; units, when <paramref name="stripUnits"/>, removed.</summary>
    public static string Normalize(string text, bool stripUnits)
    {
        var s = new StringBuilder(text.Trim());
        foreach (var (from, to) in Replacements) s.Replace(from, to);
        var t = s.ToString();
        t = BareFrac().Replace(t, "\\frac{$1}{$2}");
        t = BareSqrt().Replace(t, "\\sqrt{$1}");
        if (stripUnits)
        {
            t = Degrees().Replace(t, "");
            t = t.Replace("\\dollar", "");
            t = TextUnit().Replace(t, m => m.Groups[1].Value.Any(char.IsAsciiLetter) ? "" : m.Groups[1].Value);
        }
        else
        {
            t = TextUnit().Replace(t, "$1");
        }
        t = Unwrap().Replace(t, "$1").Trim();
        if (stripUnits) t = TrailingUnits().Replace(t, "").Trim();
        t = LeadingVariable().Replace(t, "");
        // A sentence's full stop after the answer ("17.") is not part of it; "5." still parses as 5 without it.
        if (t.EndsWith('.') && !t.EndsWith("..")) t = t[..^1];
        return t.Trim();
    }

    [GeneratedRegex(@"\\frac\s*(\d)\s*(\d)")]
    private static partial Regex BareFrac();

    [GeneratedRegex(@"\\sqrt\s*(\d)")]
    private static partial Regex BareSqrt();

    [GeneratedRegex(@"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree")]
    private static partial Regex Degrees();

    [GeneratedRegex(@"\\(?:text|textrm|textnormal|mathrm|mbox|operatorname)\s*\{([^{}]*)\}")]
    private static partial Regex TextUnit();

    [GeneratedRegex(@"\\(?:mathbf|boldsymbol|textbf|mathit)\s*\{([^{}]*)\}")]
    private static partial Regex Unwrap();

    // Unit words after a number, bracket or percent sign at the end ("5 cm", "12 square units", "3m^2"): words of two
    // letters or more, or one SI letter; never a LaTeX command, and never "x", so "2 x" is not read as 2.
    [GeneratedRegex(@"(?<=[0-9}).%\]])(?:\s*(?<![\\A-Za-z])(?:[A-Za-z]{2,}|[mgsLKAVWJN])(?![A-Za-z])(?:\^\{?\d\}?)?\.?)+$")]
    private static partial Regex TrailingUnits();

    // "x = 5", "y=5", "a_1 = 5", "\theta = 5": the named variable is not part of the value.
    [GeneratedRegex(@"^(?:[A-Za-z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)\s*(?:=|\\in\b)\s*(?=\S)")]
    private static partial Regex LeadingVariable();
}
