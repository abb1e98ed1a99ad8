namespace Kimi.Actors.Tasks.Tests;

public class NumericAnswerVerifierTests
{
    private static VerifyResult Check(string answer, string response) =>
        NumericAnswerVerifier.Instance.Verify(Records.Numeric(answer), response);

    [Theory]
    [InlineData("17", "3,8,10,17#17")]
    [InlineData("17", "#17.0")]
    [InlineData("17", "#34/2")]
    [InlineData("17", "# +17 ")]
    [InlineData("17", "#017")]
    [InlineData("17", "#17.\n")]
    [InlineData("-3/4", "#-6/8")]
    [InlineData("-3/4", "#-0.75")]
    [InlineData("0.5", "#.5")]
    [InlineData("0.5", "#1 / 2")]
    [InlineData("0", "#-0")]
    [InlineData("34/2", "#17")]
    public void Equivalent_spellings_are_correct(string answer, string response)
    {
        var result = Check(answer, response);
        Assert.True(result.Correct, result.Reason);
        Assert.Equal("ok", result.Reason);
        Assert.Equal(response[(response.LastIndexOf('#') + 1)..].Trim(), result.ExtractedAnswer);
    }

    [Theory]
    [InlineData("17", "#18", "wrong value")]
    [InlineData("17", "#-17", "wrong value")]
    [InlineData("3/4", "#4/3", "wrong value")]
    [InlineData("17", "17", "no answer marker")]
    [InlineData("17", "", "no answer marker")]
    [InlineData("17", "3,8#", "empty answer")]
    [InlineData("17", "#  ", "empty answer")]
    [InlineData("17", "#17 apples", "not a number")]
    [InlineData("17", "#1e1", "not a number")]
    [InlineData("17", "#1,7", "not a number")]
    [InlineData("17", "#--17", "not a number")]
    [InlineData("17", "#+", "not a number")]
    [InlineData("17", "#.", "not a number")]
    [InlineData("17", "#1.2.3", "not a number")]
    [InlineData("17", "#3/-4", "not a number")]
    [InlineData("17", "#1/2/3", "not a number")]
    [InlineData("17", "#17\0", "not a number")]
    [InlineData("17", "#\u0661\u0667", "not a number")]
    [InlineData("17", "#34/0", "division by zero")]
    [InlineData("seventeen", "#17", "bad reference answer")]
    public void Wrong_or_malformed_answers_are_incorrect_with_a_reason(string answer, string response, string reason)
    {
        var result = Check(answer, response);
        Assert.False(result.Correct);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void Only_the_text_after_the_last_marker_counts()
    {
        Assert.True(Check("17", "maybe #16? no, #17").Correct);
        var result = Check("17", "#17 then # 16");
        Assert.False(result.Correct);
        Assert.Equal("16", result.ExtractedAnswer);
    }

    [Fact]
    public void Answers_longer_than_the_cap_are_rejected_without_parsing()
    {
        var result = Check("17", "#" + new string('1', FinalAnswer.MaxChars + 1));
        Assert.Equal(("answer too long", (string?)null), (result.Reason, result.ExtractedAnswer));
        Assert.True(Check(new string('9', 250), "#" + new string('9', 250)).Correct);
    }

    [Fact]
    public void Null_inputs_are_incorrect_not_exceptions()
    {
        Assert.Equal("no answer marker", NumericAnswerVerifier.Instance.Verify(Records.Numeric("1"), null!).Reason);
        Assert.Equal("bad reference answer", NumericAnswerVerifier.Instance.Verify(null!, "#1").Reason);
    }

    [Fact]
    public void Parse_reduces_fractions()
    {
        Assert.Null(NumericAnswer.TryParse("-6/8", out var n, out var d));
        Assert.Equal((-3, 4), ((int)n, (int)d));
        Assert.Null(NumericAnswer.TryParse("2.50", out n, out d));
        Assert.Equal((5, 2), ((int)n, (int)d));
        Assert.True(NumericAnswer.AreEquivalent("17", "34/2"));
        Assert.False(NumericAnswer.AreEquivalent("17", "x"));
    }
}
