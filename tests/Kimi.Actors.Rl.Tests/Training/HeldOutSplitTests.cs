using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Tests.Training;

/// <summary>One prompt file (kimi train --prompts FILE) split into training and held-out prompts that share nothing.</summary>
public class HeldOutSplitTests
{
    private static PromptRecord P(int i, string text) => new($"p{i}", text, "1", Verifiers.Arithmetic, 1, []);

    [Fact]
    public void A_seeded_fraction_is_held_out_and_training_keeps_no_held_out_text()
    {
        // 200 prompts, and the text of p0..p9 repeated under other ids p200..p209.
        var prompts = Enumerable.Range(0, 200).Select(i => P(i, $"{i}+1=")).Concat(Enumerable.Range(0, 10).Select(i => P(200 + i, $"{i}+1="))).ToList();
        var (train, heldOut) = TaskSuite.HoldOut(prompts, 0.1, seed: 3, "f.jsonl");
        Assert.Equal(21, heldOut.Count);
        var held = heldOut.Select(p => p.Prompt).ToHashSet();
        Assert.DoesNotContain(train, p => held.Contains(p.Prompt));
        Assert.Equal(prompts.Select(p => p.Prompt).Distinct().Count(), train.Select(p => p.Prompt).Concat(held).Distinct().Count());

        var again = TaskSuite.HoldOut(prompts, 0.1, seed: 3, "f.jsonl");
        Assert.Equal(heldOut.Select(p => p.Id), again.HeldOut.Select(p => p.Id));
        Assert.NotEqual(heldOut.Select(p => p.Id), TaskSuite.HoldOut(prompts, 0.1, seed: 4, "f.jsonl").HeldOut.Select(p => p.Id));
    }

    [Fact]
    public void A_file_too_small_to_split_is_refused_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskSuite.HoldOut([P(0, "1+1="), P(1, "1+2=")], 0.1, 1, "small.jsonl"));
        Assert.Contains("small.jsonl", e.Message);
        Assert.Contains("heldout-file", e.Message);
    }
}
