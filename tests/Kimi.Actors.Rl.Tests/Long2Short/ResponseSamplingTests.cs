using Kimi.Actors.Rl.Long2Short;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Tests.Long2Short;

/// <summary>What shortest rejection sampling and DPO take from n samples of a prompt.</summary>
public class ResponseSamplingTests
{
    private static readonly PromptRecord Prompt = new("p", "3+4=", "7", "arithmetic", 1, []);

    private static SampledResponse S(int length, bool correct) => new(Enumerable.Repeat(length, length).ToArray(), correct);

    private static PromptSamples Of(params SampledResponse[] responses) => new(Prompt, [1, 2], responses);

    [Fact]
    public void The_shortest_correct_response_is_the_target_and_prompts_without_one_give_none()
    {
        var samples = new[] { Of(S(9, true), S(4, false), S(6, true), S(6, true)), Of(S(3, false), S(5, false)) };
        var targets = ResponseSampling.ShortestCorrectTargets(samples);
        var target = Assert.Single(targets);
        Assert.Equal(6, target.Response.Length);   // the wrong 4-token answer is shorter but not a target
        Assert.Equal([1, 2], target.Prompt);
    }

    [Fact]
    public void Negatives_are_wrong_longer_responses_and_correct_ones_at_least_one_and_a_half_times_as_long()
    {
        // Positive: the correct 6. Wrong 4 is shorter (not a negative), wrong 7 is; correct 8 < 9 = 1.5 x 6 is not, correct 9 is.
        var samples = new[] { Of(S(6, true), S(4, false), S(7, false), S(8, true), S(9, true), S(12, false)) };
        var pairs = ResponseSampling.PreferencePairs(samples, lengthRatio: 1.5);
        Assert.All(pairs, p => Assert.Equal(6, p.Chosen.Length));
        Assert.Equal([7, 9, 12], pairs.Select(p => p.Rejected.Length));
        Assert.Empty(ResponseSampling.PreferencePairs([Of(S(5, false), S(9, false))], 1.5));   // no correct response, no positive
        Assert.Throws<ArgumentOutOfRangeException>(() => ResponseSampling.PreferencePairs(samples, 0.9));
    }
}
