namespace Kimi.Actors.Tasks.Tests;

public class PromptSetBuilderTests
{
    private static readonly ITaskFamily[] TextFamilies = [BuiltinTasks.ByName("sum"), BuiltinTasks.ByName("countdown")];

    [Fact]
    public void Counts_ids_and_order_follow_families_and_levels()
    {
        var (train, heldOut) = PromptSetBuilder.Build(TextFamilies, trainPerLevel: 30, heldOutPerLevel: 5, seed: 7);
        Assert.Equal(2 * 3 * 30, train.Count);
        Assert.Equal(2 * 3 * 5, heldOut.Count);
        Assert.Equal("sum-d1-000000", train[0].Id);
        Assert.Equal("sum-d1-000029", train[29].Id);
        Assert.Equal("sum-d2-000000", train[30].Id);
        Assert.Equal("countdown-d3-000029", train[^1].Id);
        Assert.Equal("heldout-sum-d1-000000", heldOut[0].Id);
        Assert.Equal("heldout-countdown-d1-000003", heldOut[18].Id);
        Assert.All(heldOut, r => Assert.StartsWith(PromptSetBuilder.HeldOutPrefix, r.Id));
        Assert.Equal(train.Count + heldOut.Count, train.Concat(heldOut).Select(r => r.Id).Distinct().Count());
        foreach (var record in train.Concat(heldOut))
        {
            var family = BuiltinTasks.ByName(record.Id.Replace(PromptSetBuilder.HeldOutPrefix, "").Split('-')[0]);
            Assert.Equal(family.Domain, record.Domain);
            Assert.Contains($"-d{record.Difficulty}-", record.Id);
        }
    }

    [Fact]
    public void Held_out_prompts_never_share_text_with_training_prompts()
    {
        // Countdown level 1 has only about two hundred distinct prompts, so asking for more forces collisions.
        var (train, heldOut) = PromptSetBuilder.Build(TextFamilies, trainPerLevel: 400, heldOutPerLevel: 100, seed: 3);
        var heldOutTexts = heldOut.Select(r => r.Prompt).ToHashSet();
        Assert.Equal(heldOut.Count, heldOutTexts.Count);
        Assert.DoesNotContain(train, r => heldOutTexts.Contains(r.Prompt));
        Assert.Equal(train.Count, train.Select(r => r.Prompt).Distinct().Count());
    }

    [Fact]
    public void Image_prompts_with_one_text_are_told_apart_by_their_images()
    {
        // "count red:" and three other texts: by text alone there would be only four distinct prompts per level.
        var shapes = new[] { BuiltinTasks.ByName("shapes") };
        var (train, heldOut) = PromptSetBuilder.Build(shapes, trainPerLevel: 60, heldOutPerLevel: 20, seed: 2);
        Assert.Equal((180, 60), (train.Count, heldOut.Count));
        var heldOutKeys = heldOut.Select(PromptSetBuilder.Key).ToHashSet();
        Assert.Equal(heldOut.Count, heldOutKeys.Count);
        Assert.DoesNotContain(train, r => heldOutKeys.Contains(PromptSetBuilder.Key(r)));
        Assert.True(heldOut.Select(r => r.Prompt).Distinct().Count() <= 4);
    }

    [Fact]
    public void A_level_with_too_few_distinct_prompts_yields_what_exists()
    {
        var countdown = new[] { BuiltinTasks.ByName("countdown") };
        var (train, heldOut) = PromptSetBuilder.Build(countdown, trainPerLevel: 1000, heldOutPerLevel: 100, seed: 1);
        int levelOne = train.Count(r => r.Difficulty == 1);
        Assert.Equal(100, heldOut.Count(r => r.Difficulty == 1));
        Assert.InRange(levelOne, 50, 200);
        Assert.Equal(1000, train.Count(r => r.Difficulty == 2));
        Assert.Equal($"countdown-d1-{levelOne - 1:D6}", train.Last(r => r.Difficulty == 1).Id);
    }

    [Fact]
    public void Building_is_deterministic_and_the_held_out_set_ignores_the_training_count()
    {
        var a = PromptSetBuilder.Build(TextFamilies, 20, 5, seed: 11);
        var b = PromptSetBuilder.Build(TextFamilies, 20, 5, seed: 11);
        var c = PromptSetBuilder.Build(TextFamilies, 40, 5, seed: 11);
        var d = PromptSetBuilder.Build(TextFamilies, 20, 5, seed: 12);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.HeldOut, b.HeldOut);
        Assert.Equal(a.HeldOut, c.HeldOut);
        Assert.NotEqual(a.Train.Select(r => r.Prompt), d.Train.Select(r => r.Prompt));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptSetBuilder.Build(BuiltinTasks.All, -1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptSetBuilder.Build(BuiltinTasks.All, 0, -1, 0));
        Assert.Throws<ArgumentException>(() => PromptSetBuilder.Build([new SumTask(), new SumTask()], 1, 1, 0));
        var (train, heldOut) = PromptSetBuilder.Build([], 10, 10, 0);
        Assert.Empty(train);
        Assert.Empty(heldOut);
    }
}
