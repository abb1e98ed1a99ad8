using System.Text.Json;

namespace Kimi.Actors.Tasks.Tests;

public class CountdownVerifierTests
{
    private static VerifyResult Check(string prompt, string response) =>
        CountdownVerifier.Instance.Verify(Records.Countdown(prompt), response);

    [Theory]
    [InlineData("4 7 2>15:", "4+7=11 no;4*2=8,8+7=15 ok#4*2+7")]
    [InlineData("4 7 2>15:", "#7+4*2")]
    [InlineData("4 7 2>15:", "#(4*2)+7")]
    [InlineData("4 7 2>15:", "# 2 * 4 + 7 ")]
    [InlineData("4 7 2>36:", "#(7+2)*4")]
    [InlineData("4 7 2>36:", "#4*((7+2))")]
    [InlineData("4 7 2>11:", "#4+7")]
    [InlineData("4 7 2>15:", "4+7=11 #4+7 no;4*2=8,8+7=15 ok#4*2+7")]
    [InlineData("4 4 7>23:", "#4*4+7")]
    [InlineData("3 9>3:", "#3")]
    public void Valid_expressions_are_correct(string prompt, string response)
    {
        var result = Check(prompt, response);
        Assert.True(result.Correct, result.Reason);
        Assert.Equal("ok", result.Reason);
    }

    [Theory]
    [InlineData("4 7 2>15:", "#4+7+2", "wrong value")]
    [InlineData("4 7 2>15:", "#4*2+7*1", "number not in list")]
    [InlineData("4 7 2>15:", "#4*4-1", "uses a number twice")]
    [InlineData("4 4 7>23:", "#4*4+4+3", "uses a number twice")]
    [InlineData("4 7 2>15:", "4+7=11 no", "no answer marker")]
    [InlineData("4 7 2>15:", "#", "empty answer")]
    [InlineData("4 7 2>15:", "#4*2+", "unparsable expression")]
    [InlineData("4 7 2>15:", "#-4+7", "unparsable expression")]
    [InlineData("4 7 2>15:", "#8/4", "unparsable expression")]
    [InlineData("4 7 2>15:", "#(4*2+7", "unparsable expression")]
    [InlineData("4 7 2>15:", "#4*2)+7", "unparsable expression")]
    [InlineData("4 7 2>15:", "#()", "unparsable expression")]
    [InlineData("4 7 2>15:", "#4 2", "unparsable expression")]
    [InlineData("4 7 2>15:", "#4*2+7=15", "unparsable expression")]
    [InlineData("4 7 2>15:", "#fifteen", "unparsable expression")]
    [InlineData("4 7 2>15:", "#4\0+7", "unparsable expression")]
    [InlineData("4 7 2>15:", "#\u0664+7", "unparsable expression")]
    [InlineData("4 7 2 15", "#4*2+7", "bad prompt")]
    [InlineData("4 x 2>15:", "#4*2+7", "bad prompt")]
    [InlineData(">15:", "#4*2+7", "bad prompt")]
    public void Invalid_answers_are_incorrect_with_a_reason(string prompt, string response, string reason)
    {
        var result = Check(prompt, response);
        Assert.False(result.Correct);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void Extra_numbers_and_target_take_precedence_over_the_text()
    {
        var extra = new Dictionary<string, JsonElement>
        {
            ["numbers"] = JsonSerializer.SerializeToElement(new[] { 5, 6 }),
            ["target"] = JsonSerializer.SerializeToElement(30),
        };
        var prompt = Records.Countdown("4 7 2>15:", extra);
        Assert.True(CountdownVerifier.Instance.Verify(prompt, "#5*6").Correct);
        Assert.Equal("number not in list", CountdownVerifier.Instance.Verify(prompt, "#4*2+7").Reason);
    }

    [Fact]
    public void Malformed_extra_is_a_bad_prompt()
    {
        var extra = new Dictionary<string, JsonElement> { ["numbers"] = JsonSerializer.SerializeToElement("4 7 2") };
        Assert.Equal("bad prompt", CountdownVerifier.Instance.Verify(Records.Countdown("4 7 2>15:", extra), "#4*2+7").Reason);
        extra = new Dictionary<string, JsonElement> { ["target"] = JsonSerializer.SerializeToElement(1.5) };
        Assert.Equal("bad prompt", CountdownVerifier.Instance.Verify(Records.Countdown("4 7 2>15:", extra), "#4*2+7").Reason);
        extra = new Dictionary<string, JsonElement> { ["target"] = default };
        Assert.Equal("bad prompt", CountdownVerifier.Instance.Verify(Records.Countdown("4 7 2>15:", extra), "#4*2+7").Reason);
    }

    [Fact]
    public void Precedence_is_standard_and_left_associative()
    {
        Assert.True(Check("9 5 3>1:", "#9-5-3").Correct);
        Assert.True(Check("9 5 3>7:", "#9-(5-3)").Correct);
        Assert.True(Check("2 3 4>14:", "#2+3*4").Correct);
        Assert.True(Check("2 3 4>20:", "#(2+3)*4").Correct);
    }

    [Fact]
    public void Nesting_beyond_the_cap_is_rejected()
    {
        int ok = CountdownExpression.MaxDepth, deep = CountdownExpression.MaxDepth + 1;
        Assert.True(Check("4 7>11:", "#" + new string('(', ok) + "4+7" + new string(')', ok)).Correct);
        Assert.Equal("nesting too deep", Check("4 7>11:", "#" + new string('(', deep) + "4+7" + new string(')', deep)).Reason);
    }

    [Fact]
    public void Hostile_responses_are_rejected_quickly_without_exceptions()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var megabyte = new string('7', 1 << 20);
        Assert.Equal("no answer marker", Check("4 7>11:", megabyte).Reason);
        Assert.Equal("answer too long", Check("4 7>11:", "#" + megabyte).Reason);
        Assert.Equal("unparsable expression", Check("4 7>11:", megabyte + "#4+7)").Reason);
        Assert.True(Check("4 7>11:", megabyte + "#4+7").Correct);
        Assert.Equal("answer too long", Check("4 7>11:", "#" + new string('(', 500_000) + "4" + new string(')', 500_000)).Reason);
        Assert.Equal("answer too long", Check("4 7>11:", "#" + string.Join("*", Enumerable.Repeat("4", 200))).Reason);
        Assert.Equal("nesting too deep", Check("4 7>11:", "#" + new string('(', 200)).Reason);
        Assert.Equal("unparsable expression", Check("4 7>11:", "#" + new string('\0', 200)).Reason);
        Assert.Equal("bad prompt", Check(megabyte + ">11:", "#4+7").Reason);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Overflow_sized_numbers_are_handled_exactly()
    {
        Assert.Equal("number not in list", Check("4 7>11:", "#99999999999999999999999999999999*99999999999999999999").Reason);
        // The largest given numbers multiply far past long without wrapping around to the target.
        var max = long.MaxValue;
        Assert.Equal("wrong value", Check($"{max} {max}>1:", $"#{max}*{max}").Reason);
        Assert.True(Check($"{max} {max}>0:", $"#{max}-{max}").Correct);
        Assert.Equal("bad prompt", Check("99999999999999999999 2>1:", "#2").Reason);
    }
}
