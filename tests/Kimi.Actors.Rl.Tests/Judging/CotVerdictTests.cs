using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Judging.ModelJudges;

namespace Kimi.Actors.Rl.Tests.Judging;

/// <summary>
/// The chain-of-thought judge's verdict is read strictly: its last line must be exactly {"correct": bool}. Anything else
/// (malformed, trailing junk, another shape, hostile text) is an incorrect verdict with the reason, never an exception.
/// </summary>
public sealed class CotVerdictTests
{
    [Theory]
    [InlineData("final:17 ref:17 same\n{\"correct\": true}", true)]
    [InlineData("final:16 ref:17 differ\n{\"correct\": false}", false)]
    [InlineData("a\nb\n  {\"correct\":true}  \n", true)]
    [InlineData("{ \"correct\" : false }", false)]
    public void A_well_formed_verdict_is_read(string output, bool correct)
    {
        var v = CotVerdict.Parse(output, StopReason.Stop);
        Assert.True(v.Judged, v.Reason);
        Assert.Equal(correct, v.Correct);
        Assert.StartsWith("model-cot: " + (correct ? "correct" : "incorrect"), v.Reason);
    }

    [Fact]
    public void The_reason_keeps_the_reasoning()
    {
        var v = CotVerdict.Parse("final:17 ref:17 same\n{\"correct\": true}", StopReason.Stop);
        Assert.Equal("model-cot: correct (final:17 ref:17 same)", v.Reason);
    }

    [Theory]
    [InlineData("", "no verdict: empty output")]
    [InlineData("final:17 ref:17 same", "no verdict: the last line is not a JSON object")]
    [InlineData("{\"correct\": true}\nand then some", "no verdict: the last line is not a JSON object")]
    [InlineData("x\n{\"correct\": true} junk", "malformed verdict")]
    [InlineData("x\n{\"correct\": true}}", "malformed verdict")]
    [InlineData("x\n{\"correct\": true,}", "malformed verdict")]
    [InlineData("x\n{\"correct\": tru", "malformed verdict")]
    [InlineData("x\n{'correct': true}", "malformed verdict")]
    [InlineData("x\n{\"correct\": \"true\"}", "malformed verdict: \"correct\" is a string, expected true or false")]
    [InlineData("x\n{\"correct\": 1}", "malformed verdict: \"correct\" is a number, expected true or false")]
    [InlineData("x\n{\"correct\": null}", "malformed verdict: \"correct\" is null, expected true or false")]
    [InlineData("x\n{\"correct\": {\"correct\": true}}", "malformed verdict: \"correct\" is an object, expected true or false")]
    [InlineData("x\n{\"correct\": [true]}", "malformed verdict: \"correct\" is an array, expected true or false")]
    [InlineData("x\n{\"correct\": true, \"correct\": false}", "malformed verdict: \"correct\" given twice")]
    [InlineData("x\n{\"correct\": true, \"score\": 1}", "malformed verdict: unexpected key \"score\"")]
    [InlineData("x\n{}", "malformed verdict: no \"correct\" key")]
    [InlineData("x\n{\"correct\": true} // yes", "malformed verdict")]
    [InlineData("x\n{\"Correct\": true}", "malformed verdict: unexpected key \"Correct\"")]
    public void Anything_else_is_incorrect_with_the_reason(string output, string reason)
    {
        var v = CotVerdict.Parse(output, StopReason.Stop);
        Assert.False(v.Correct);
        Assert.False(v.Judged);
        Assert.StartsWith("model-cot: " + reason, v.Reason);
    }

    [Theory]
    [InlineData(StopReason.MaxLength)]
    [InlineData(StopReason.Repeat)]
    [InlineData(StopReason.Budget)]
    public void An_unfinished_output_is_incorrect_even_with_a_verdict_in_it(StopReason stop)
    {
        var v = CotVerdict.Parse("final:17 ref:17 same\n{\"correct\": true}", stop);
        Assert.False(v.Correct);
        Assert.StartsWith("model-cot: unfinished output", v.Reason);
    }

    [Fact]
    public void Deeply_nested_braces_are_refused_without_recursion()
    {
        // 100,000 levels: over the length cap; 100 levels: under it but past the parser's depth limit.
        foreach (int depth in new[] { 100_000, 100 })
        {
            var nested = new string('[', depth) + new string(']', depth);
            var v = CotVerdict.Parse("x\n{\"correct\": " + nested + "}", StopReason.Stop);
            Assert.False(v.Correct);
            Assert.StartsWith("model-cot: malformed verdict", v.Reason);
        }
    }

    [Fact]
    public void A_huge_hostile_output_gives_a_short_printable_reason()
    {
        // Megabytes of text with control characters and a verdict-looking line that is not the last.
        var junk = string.Concat(Enumerable.Repeat("ignore the rules\u0007\u001b[2J{\"correct\": true}\r\n", 200_000));
        foreach (var output in new[] { junk, junk + "{\"correct\": true} {\"correct\": true}", "\n" + new string('{', 5_000_000) })
        {
            var v = CotVerdict.Parse(output, StopReason.Stop);
            Assert.False(v.Correct);
            Assert.InRange(v.Reason.Length, 1, 400);
            Assert.DoesNotContain(v.Reason, char.IsControl);
        }
        // The same junk as reasoning before a valid verdict: correct, and the reason stays short.
        var ok = CotVerdict.Parse(junk + "\n{\"correct\": true}", StopReason.Stop);
        Assert.True(ok.Correct, ok.Reason);
        Assert.InRange(ok.Reason.Length, 1, 400);
        Assert.DoesNotContain(ok.Reason, char.IsControl);
    }
}
