using System.Text.Json;

namespace Kimi.Actors.Tasks.Tests;

public class MathAnswerVerifierTests
{
    // (answer, reference): the same value written two ways.
    public static TheoryData<string, string> Equal => new()
    {
        { "0.5", "1/2" }, { "1/2", "0.5" }, { "\\frac{1}{2}", "0.5" }, { "\\dfrac{1}{2}", "1/2" }, { "\\tfrac{1}{2}", ".5" },
        { "\\frac12", "0.5" }, { "1,000", "1000" }, { "1000", "1,000" }, { "1,234,567", "1234567" }, { "1{,}000", "1000" },
        { "1\\,000", "1000" }, { "-0", "0" }, { "0", "-0.0" }, { "+5", "5" }, { "5.000", "5" }, { "05", "5" },
        { "2.50", "5/2" }, { "-3/4", "-0.75" }, { "\\frac{-3}{4}", "-0.75" }, { "-\\frac{3}{4}", "-3/4" },
        { "\\frac{6}{8}", "3/4" }, { "1 1/2", "3/2" }, { "2\\frac{1}{2}", "5/2" }, { "2 \\frac{1}{2}", "2.5" },
        { "-1 1/2", "-1.5" }, { "50%", "0.5" }, { "50\\%", "1/2" }, { "12.5%", "1/8" }, { "1e3", "1000" },
        { "1.5e-3", "0.0015" }, { "2.5E4", "25000" }, { "1.5\\times10^{-4}", "0.00015" }, { "3 \\cdot 10^3", "3000" },
        { "10^{3}", "1000" }, { "2^10", "1024" }, { "2^{-1}", "0.5" }, { "\\sqrt{4}", "2" }, { "\\sqrt{8}", "2\\sqrt{2}" },
        { "\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}" }, { "\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt2}{2}" }, { "\\sqrt{12}", "2\\sqrt{3}" },
        { "\\sqrt{\\frac{1}{4}}", "1/2" }, { "\\sqrt{2}\\sqrt{3}", "\\sqrt{6}" }, { "\\sqrt[3]{8}", "2" }, { "\\sqrt[3]{-27}", "-3" },
        { "4^{1/2}", "2" }, { "2\\pi", "\\pi*2" }, { "\\frac{\\pi}{2}", "0.5\\pi" }, { "\\pi/2", "\\frac{1}{2}\\pi" },
        { "\\pi^2/4", "(\\pi/2)^2" }, { "1+\\sqrt{2}", "\\sqrt{2}+1" }, { "3 - \\sqrt{5}", "-\\sqrt{5} + 3" },
        { "(1+\\sqrt{2})^2", "3+2\\sqrt{2}" }, { "\\left( 1, 2 \\right)", "(1,2)" }, { "(1, 2)", "(1.0, 2/1)" },
        { "[0, 1)", "[0,1)" }, { "(-\\infty, 3]", "(-\\infty,3]" }, { "(2, \\infty)", "\\left(2,\\infty\\right)" },
        { "(-\\infty,0)\\cup(1,\\infty)", "(1, \\infty) \\cup (-\\infty, 0)" }, { "(1,2,3)", "(1, 2, 3)" },
        { "\\{1, 2\\}", "\\{2, 1\\}" }, { "1, 2", "2, 1" }, { "x = 5", "5" }, { "x=\\frac{1}{2}", "0.5" }, { "y = -3", "-3" },
        { "5 cm", "5" }, { "5\\text{ cm}", "5" }, { "30^\\circ", "30" }, { "30^{\\circ}", "30" }, { "\\$5", "5" },
        { "12 square units", "12" }, { "$\\frac{3}{4}$", "0.75" }, { "\\(7\\)", "7" }, { "\\displaystyle \\frac{1}{3}", "1/3" },
        { "\u22123", "-3" }, { "1\u00f72", "0.5" }, { "2\u00d73", "6" }, { "\u03c0", "\\pi" }, { "\u221a2", "\\sqrt{2}" },
        { "  7  ", "7" }, { "7.", "7" }, { "\\frac{10}{4}", "2 1/2" }, { "(3)", "3" }, { "2(3+1)", "8" }, { "-(2)", "-2" },
        { "\\frac{2}{3}+\\frac{1}{3}", "1" }, { "0.1+0.2", "0.3" }, { "\\infty", "\\infty" }, { "-\\infty", "-\\infty" },
        { "x \\in [1, 2]", "[1,2]" }, { "\\mathbf{4}", "4" }, { "a+b", "a + b" }, { "\\frac{\\sqrt{3}}{3}", "1/\\sqrt{3}" },
        { "\\sqrt{50}", "5\\sqrt{2}" }, { "0.333333", "0.333333" },
    };

    // (answer, reference): different values, or a different kind of object.
    public static TheoryData<string, string> NotEqual => new()
    {
        { "2", "2.0001" }, { "2.0001", "2" }, { "0.333", "1/3" }, { "0.33", "\\frac{1}{3}" }, { "1", "-1" }, { "-0.5", "0.5" },
        { "1,000", "1" }, { "1,7", "17" }, { "1,7", "1.7" }, { "(1,000)", "1000" }, { "1/2", "2" }, { "\\frac{2}{1}", "1/2" },
        { "50", "50%" }, { "0.5", "50" }, { "1e3", "100" }, { "\\sqrt{2}", "1.41421356" }, { "\\sqrt{2}", "2" },
        { "\\sqrt{3}", "\\sqrt{2}" }, { "2\\sqrt{2}", "\\sqrt{2}" }, { "\\pi", "3.14159" }, { "\\pi", "22/7" }, { "2\\pi", "\\pi" },
        { "\\pi^2", "\\pi" }, { "1+\\sqrt{2}", "1-\\sqrt{2}" }, { "(1, 2)", "[1, 2]" }, { "(1, 2)", "(1, 2]" }, { "(1, 2)", "(2, 1)" },
        { "(1, 2)", "(1, 2, 3)" }, { "(1,2)", "1, 2" }, { "[0, 1)", "[0, 1]" }, { "(-\\infty, 3]", "(-\\infty, 3)" },
        { "(3, \\infty)", "(-\\infty, 3)" }, { "\\infty", "-\\infty" }, { "\\{1, 2\\}", "\\{1, 2, 3\\}" }, { "\\{1, 2\\}", "(1, 2)" },
        { "1, 2", "1, 3" }, { "5", "(5, 5)" }, { "2 1/2", "2/2" }, { "2 1/2", "1" }, { "1 1/2", "1/2" }, { "2\\frac{1}{2}", "1" },
        { "5 cm", "50" }, { "x = 5", "6" }, { "a+b", "a-b" }, { "-0", "0.0001" }, { "10^{-3}", "10^{3}" }, { "2^{10}", "20" },
        { "\\sqrt[3]{8}", "3" }, { "1.5\\times10^{-4}", "1.5\\times10^{4}" }, { "12.5%", "12.5" }, { "17", "71" },
        { "0.1", "0.10000000000000001" }, { "1/3", "0.3333333333333333" }, { "2x + y", "2x + z" }, { "5 x", "5" },
        { "a + b", "a + c" }, { "3\\pi", "3" },
    };

    [Theory]
    [MemberData(nameof(Equal))]
    public void Equivalent_spellings_are_equal(string answer, string reference)
    {
        var (equal, reason) = MathAnswerVerifier.Compare(answer, reference);
        Assert.True(equal, $"{answer} vs {reference}: {reason}");
        Assert.Equal("ok", reason);
    }

    [Theory]
    [MemberData(nameof(NotEqual))]
    public void Different_values_are_never_equal(string answer, string reference)
    {
        var (equal, reason) = MathAnswerVerifier.Compare(answer, reference);
        Assert.False(equal, $"{answer} vs {reference} judged equal");
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.NotEqual("ok", reason);
        // Equality is symmetric, so the swapped pair must be refused too.
        Assert.False(MathAnswerVerifier.Compare(reference, answer).Equal, $"{reference} vs {answer} judged equal");
    }

    [Theory]
    [InlineData("5", "(1, 2)", "wrong form: number, expected interval or tuple")]
    [InlineData("3", "4", "wrong value")]
    [InlineData("seventeen", "17", "not a number: unexpected 's'")]
    [InlineData("--5", "5", "not a number: two signs in a row")]
    [InlineData("1/0", "5", "not a number: division by zero")]
    [InlineData("\\sqrt{-1}", "5", "unsupported expression: square root of a negative number")]
    [InlineData("2^{\\pi}", "5", "unsupported expression: irrational exponent")]
    [InlineData("\\frac{1}{1+\\sqrt{2}}", "5", "unsupported expression: division by a sum with roots or pi")]
    [InlineData("5", "\\alpha", "bad reference answer: unknown command near '\\alpha'")]
    public void Refusals_name_their_reason(string answer, string reference, string reason) =>
        Assert.Equal((false, reason), MathAnswerVerifier.Compare(answer, reference));

    [Fact]
    public void Units_are_kept_when_stripping_is_off()
    {
        Assert.True(MathAnswerVerifier.Compare("5 cm", "5").Equal);
        Assert.False(MathAnswerVerifier.Compare("5 cm", "5", stripUnits: false).Equal);
        Assert.True(MathAnswerVerifier.Compare("5 cm", "5 cm", stripUnits: false).Equal);
    }

    [Fact]
    public void Hostile_sizes_are_refused_quickly()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(MathAnswerVerifier.Compare("10^{4096}^{4096}", "1").Equal);
        Assert.False(MathAnswerVerifier.Compare("9999^{4096}", "1").Equal);
        Assert.False(MathAnswerVerifier.Compare("1e99999", "1").Equal);
        Assert.False(MathAnswerVerifier.Compare(new string('(', 200) + "1" + new string(')', 200), "1").Equal);
        Assert.False(MathAnswerVerifier.Compare("\\sqrt{" + new string('9', 60) + "7}", "1").Equal);
        Assert.Equal("answer too long", MathAnswerVerifier.Compare(new string('1', 300), "1").Reason);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    public static TheoryData<string, string, string?> Extractions => new()
    {
        // (rule, response, extracted answer or null)
        { "boxed", "so the answer is \\boxed{\\frac{1}{2}} done", "\\frac{1}{2}" },
        { "boxed", "first \\boxed{3}, then \\boxed{{4}}", "{4}" },
        { "boxed", "\\boxed 7 and more", "7" },
        { "boxed", "no box here 7", null },
        { "answer-line", "work\nAnswer: 42\n", "42" },
        { "answer-line", "**Final Answer:** $\\frac{3}{4}$.", "$\\frac{3}{4}$" },
        { "answer-line", "Answer: 1\nthinking again\nanswer: 2", "2" },
        { "answer-line", "the answer is 5", null },
        { "marker", "3,8,10#17", "17" },
        { "marker", "no marker 17", null },
        { "last-number", "we get 3, then 1,000 apples", "1,000" },
        { "last-number", "it is -2.5.", "-2.5" },
        { "last-number", "x-3 then 7/8", "7/8" },
        { "last-number", "none", null },
        { "auto", "Answer: 9 but \\boxed{8}", "8" },
        { "auto", "Answer: 9\nthen #8", "9" },
        { "auto", "thinking #8", "8" },
        { "auto", "it is 12 or 13", "13" },
    };

    [Theory]
    [MemberData(nameof(Extractions))]
    public void Extraction_rules_find_the_answer(string rule, string response, string? expected)
    {
        bool found = AnswerExtractions.TryExtract(response, AnswerExtractions.Parse(rule), out var answer, out var failure);
        Assert.Equal(expected is not null, found);
        if (found) Assert.Equal(expected, answer);
        else Assert.False(failure!.Correct);
    }

    [Fact]
    public void The_verifier_extracts_by_its_rule_and_a_prompt_may_override_it()
    {
        var prompt = Records.Numeric("1/2");
        Assert.True(MathAnswerVerifier.Instance.Verify(prompt, "so \\boxed{0.5}").Correct);
        Assert.True(MathAnswerVerifier.Instance.Verify(prompt, "work #0.5").Correct);
        var boxedOnly = new MathAnswerVerifier(new MathVerifierOptions(AnswerExtraction.Boxed));
        Assert.Equal("no boxed answer", boxedOnly.Verify(prompt, "work #0.5").Reason);
        var overridden = prompt with { Extra = Extra(("extraction", "marker")) };
        Assert.True(boxedOnly.Verify(overridden, "work #0.5").Correct);
        var noUnits = prompt with { Extra = Extra(("strip-units", false)) };
        Assert.StartsWith("not a number", MathAnswerVerifier.Instance.Verify(noUnits, "#0.5 cm").Reason);
        var bad = prompt with { Extra = Extra(("extraction", "telepathy")) };
        Assert.StartsWith("bad prompt: extraction must be one of", MathAnswerVerifier.Instance.Verify(bad, "#0.5").Reason);
        var wrong = MathAnswerVerifier.Instance.Verify(prompt, "\\boxed{0.4}");
        Assert.Equal(("wrong value", "0.4"), (wrong.Reason, wrong.ExtractedAnswer));
    }

    [Fact]
    public void The_math_domain_uses_this_verifier() => Assert.Same(MathAnswerVerifier.Instance, Verifiers.ForDomain("math"));

    private static IReadOnlyDictionary<string, JsonElement> Extra(params (string Key, object Value)[] fields) =>
        fields.ToDictionary(f => f.Key, f => JsonSerializer.SerializeToElement(f.Value));
}
