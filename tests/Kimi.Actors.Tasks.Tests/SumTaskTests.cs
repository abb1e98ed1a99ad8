namespace Kimi.Actors.Tasks.Tests;

public class SumTaskTests
{
    private readonly SumTask sum = new();

    [Theory]
    [InlineData(1, 2, 3)]
    [InlineData(2, 4, 5)]
    [InlineData(3, 6, 8)]
    public void Term_counts_follow_the_difficulty(int level, int min, int max)
    {
        var counts = Enumerable.Range(0, 300)
            .Select(s => sum.Generate(new Random(s), level, "x"))
            .Select(r => r.Prompt.Count(c => c == '+') + 1)
            .ToHashSet();
        Assert.Equal(Enumerable.Range(min, max - min + 1), counts.Order());
    }

    [Fact]
    public void Prompt_answer_and_demonstration_have_the_documented_shape()
    {
        var record = new PromptRecord("x", "3+5+2+7=", "17", "arithmetic", 2, ["sum"]);
        Assert.Equal("3,8,10,17#17", sum.Demonstrate(record, new Random(0), flawed: false));

        var generated = sum.Generate(new Random(1), 3, "x");
        Assert.Matches(@"^[0-9](\+[0-9]){5,7}=$", generated.Prompt);
        Assert.Equal(generated.Prompt[..^1].Split('+').Sum(int.Parse).ToString(), generated.Answer);
    }

    [Fact]
    public void A_flawed_demonstration_slips_once_by_one_to_three_and_carries_the_error()
    {
        var record = new PromptRecord("x", "3+5+2+7+1=", "18", "arithmetic", 2, ["sum"]);
        int[] correct = [3, 8, 10, 17, 18];
        for (int seed = 0; seed < 200; seed++)
        {
            var text = sum.Demonstrate(record, new Random(seed), flawed: true);
            var totals = text[..text.IndexOf('#')].Split(',').Select(int.Parse).ToArray();
            Assert.Equal(correct.Length, totals.Length);
            var diffs = totals.Zip(correct, (t, c) => t - c).ToArray();
            int first = Array.FindIndex(diffs, d => d != 0);
            Assert.True(first >= 1, text);
            Assert.InRange(Math.Abs(diffs[first]), 1, 3);
            Assert.All(diffs[first..], d => Assert.Equal(diffs[first], d));
            Assert.Equal(totals[^1].ToString(), text[(text.IndexOf('#') + 1)..]);
        }
    }

    [Fact]
    public void A_slip_never_writes_a_negative_total()
    {
        var record = new PromptRecord("x", "0+0+0=", "0", "arithmetic", 1, ["sum"]);
        for (int seed = 0; seed < 100; seed++)
            Assert.DoesNotContain('-', sum.Demonstrate(record, new Random(seed), flawed: true));
    }
}
