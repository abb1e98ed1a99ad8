using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Model.Tests;

public class RepeatDetectorTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;
    private static readonly PeriodicRepeatDetector Detector = new(MaxPeriod: 16, MinSpan: 64);

    private static int[] Ids(string text) => Tok.Encode(text);

    /// <summary>The first response length at which the detector fires while the text streams in token by token.</summary>
    private static int? FiresAt(string text)
    {
        var ids = Ids(text);
        var so = new List<int>();
        foreach (var t in ids)
        {
            so.Add(t);
            if (Detector.IsRepeating(so)) return so.Count;
        }
        return null;
    }

    [Theory]
    [InlineData("a")]                 // one token over and over
    [InlineData("ab")]
    [InlineData("7+8=15 ")]          // a step of reasoning repeated verbatim
    [InlineData("so the answer is")] // a 16-token phrase, the longest period looked for
    public void Degenerate_loops_are_caught_once_they_fill_the_window(string block)
    {
        string reasoning = "3+4=7, 7*2=14. ";
        string text = reasoning + string.Concat(Enumerable.Repeat(block, 200 / block.Length + 2));
        var at = FiresAt(text);
        Assert.NotNull(at);
        // Once the loop covers min-span tokens, give or take one period (the text before it may happen to match the block's tail).
        Assert.InRange(at!.Value, reasoning.Length + 64 - block.Length, reasoning.Length + 64 + block.Length);
    }

    [Fact]
    public void A_loop_with_a_period_longer_than_max_period_is_left_alone()
    {
        string block = "this block is much too long.";
        Assert.True(block.Length > 16);
        Assert.Null(FiresAt(string.Concat(Enumerable.Repeat(block, 8))));
    }

    [Theory]
    [InlineData(60, '0')]  // a long run of one digit, shorter than the window
    [InlineData(63, '9')]
    public void Long_digit_strings_are_legitimate(int length, char digit) =>
        Assert.Null(FiresAt("x=1" + new string(digit, length) + "+1"));

    [Fact]
    public void Random_digit_strings_and_varied_reasoning_are_never_caught()
    {
        var rng = new Random(5);
        string digits = string.Concat(Enumerable.Range(0, 400).Select(_ => (char)('0' + rng.Next(10))));
        Assert.Null(FiresAt(digits));
        // Reasoning that repeats its structure with different numbers (countdown-style search).
        string search = string.Concat(Enumerable.Range(1, 40).Select(i => $"try {i}*3={i * 3}; no. "));
        Assert.Null(FiresAt(search));
        // A repeating decimal written out to 40 places, twice the period of 1/7 many times, but under the span.
        Assert.Null(FiresAt("1/7=0." + string.Concat(Enumerable.Repeat("142857", 9))));
    }

    [Fact]
    public void Settings_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new PeriodicRepeatDetector(0, 64).Validate());
        Assert.Throws<ArgumentException>(() => new PeriodicRepeatDetector(16, 31).Validate());
        Assert.Equal(new PeriodicRepeatDetector(16, 32), new PeriodicRepeatDetector(16, 32).Validate());
    }

    [Fact]
    public void The_generator_stops_a_looping_response_with_reason_repeat()
    {
        // A random tiny model decoding greedily falls into a loop; the detector ends it long before the maximum.
        using var model = TinyModels.Create(seed: 3);
        var opts = new GenerationOptions { Temperature = 0, MaxResponseTokens = 88, StopTokens = [9999] };
        var requests = Enumerable.Range(0, 8).Select(i => new GenerationRequest(Ids($"{i}+{i}="))).ToList();
        var free = BatchGenerator.Generate(model, requests, opts).Results;
        var guarded = BatchGenerator.Generate(model, requests, opts with { RepeatDetector = new PeriodicRepeatDetector(8, 24) }).Results;
        int caught = 0;
        for (int i = 0; i < requests.Count; i++)
        {
            if (guarded[i].StopReason != StopReason.Repeat) { Assert.Equal(free[i].Tokens, guarded[i].Tokens); continue; }
            caught++;
            // The guarded response is a prefix of the free one, ending where its last 24 tokens first repeat.
            Assert.Equal(free[i].Tokens.Take(guarded[i].Tokens.Length), guarded[i].Tokens);
            Assert.True(new PeriodicRepeatDetector(8, 24).IsRepeating(guarded[i].Tokens));
            Assert.False(new PeriodicRepeatDetector(8, 24).IsRepeating(guarded[i].Tokens[..^1]));
        }
        Assert.True(caught > 0, "expected at least one greedy loop from a random model");
    }
}
