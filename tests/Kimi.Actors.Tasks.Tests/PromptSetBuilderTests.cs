using System.Text.RegularExpressions;

namespace Kimi.Actors.Tasks.Tests;

public class PromptSetBuilderTests
{
    /// <summary>The text families, whose prompts <see cref="SameQuestion"/> reads from their text.</summary>
    private static readonly ITaskFamily[] TextFamilies = [new SumTask(), new CountdownTask(), new CodeTask()];

    /// <summary>
    /// The test's own idea of "the same question", read from the prompt text without the families' code: a running sum
    /// is the multiset of its digits, a countdown puzzle the multiset of its numbers with its target, a code specification its text.
    /// </summary>
    internal static string SameQuestion(PromptRecord p)
    {
        if (Regex.Match(p.Prompt, @"^(\d(?:\+\d)+)=$") is { Success: true } sum)
            return "sum:" + string.Concat(sum.Groups[1].Value.Split('+').Select(int.Parse).Order().Select(d => d + ","));
        if (Regex.Match(p.Prompt, @"^(\d+(?: \d+)*)>(\d+):$") is { Success: true } countdown)
            return "countdown:" + string.Concat(countdown.Groups[1].Value.Split(' ').Select(long.Parse).Order().Select(n => n + ",")) + ">" +
                long.Parse(countdown.Groups[2].Value);
        // Code specifications are ordered (f(x)=x*3+1 is not f(x)=1+3*x): the same question is the same text.
        if (Regex.IsMatch(p.Prompt, @"^f\([xl]\)=.+:$")) return "code:" + p.Prompt;
        throw new ArgumentException($"not a built-in prompt: {p.Prompt}");
    }

    /// <summary>
    /// The same for the visual families, read from the scene they draw without the families' code: a sum-image prompt is
    /// the sum it draws (so it is the same question as that text sum), a shapes prompt the target colour and what sits in
    /// which cell (not sizes or grain), a scenes prompt which kind sits in which cell (not shifts, sizes, hues or grain).
    /// </summary>
    internal static string SameVisualQuestion(PromptRecord p)
    {
        if (p.Images.Count == 0) return SameQuestion(p);
        string Extra(string key) => p.Extra![key].GetString()!;
        switch (p.Tags[0])
        {
            case "sum-image": return SameQuestion(p with { Prompt = Extra("expression"), Images = [] });
            case "shapes":
                var shapes = Regex.Matches(Extra("scene").Split(':')[1], @"([0-9a-f])([cst])([rgby])\d").Select(m => m.Groups[1].Value + m.Groups[2].Value + m.Groups[3].Value);
                return $"shapes:{Extra("target")}|{string.Join(',', shapes)}";
            case "scenes":
                var items = Regex.Matches(Extra("scene").Split(':')[2], @"([bk])([0-9a-f])\d\d\d\d{3}").Select(m => m.Groups[1].Value + m.Groups[2].Value);
                return $"scenes:{string.Join(',', items)}";
            default: throw new ArgumentException($"not a built-in image prompt: {p.Id}");
        }
    }

    [Fact]
    public void Counts_ids_and_order_follow_families_and_levels()
    {
        var (train, validation, test) = PromptSetBuilder.Build([new SumTask(), new CountdownTask()], trainPerLevel: 30, validationPerLevel: 4, testPerLevel: 5, seed: 7);
        Assert.Equal((2 * 3 * 30, 2 * 3 * 4, 2 * 3 * 5), (train.Count, validation.Count, test.Count));
        Assert.Equal("sum-d1-000000", train[0].Id);
        Assert.Equal("sum-d1-000029", train[29].Id);
        Assert.Equal("sum-d2-000000", train[30].Id);
        Assert.Equal("countdown-d3-000029", train[^1].Id);
        Assert.Equal("heldout-sum-d1-000000", test[0].Id);
        Assert.Equal("heldout-countdown-d1-000003", test[18].Id);
        Assert.Equal("validation-countdown-d3-000003", validation[^1].Id);
        Assert.All(test, r => Assert.StartsWith(PromptSetBuilder.HeldOutPrefix, r.Id));
        Assert.All(validation, r => Assert.StartsWith(PromptSetBuilder.ValidationPrefix, r.Id));
        var all = train.Concat(validation).Concat(test).ToList();
        Assert.Equal(all.Count, all.Select(r => r.Id).Distinct().Count());
        foreach (var record in all)
        {
            var family = BuiltinTasks.ByName(record.Id.Replace(PromptSetBuilder.HeldOutPrefix, "").Replace(PromptSetBuilder.ValidationPrefix, "").Split('-')[0]);
            Assert.Equal(family.Domain, record.Domain);
            Assert.Contains($"-d{record.Difficulty}-", record.Id);
        }
    }

    [Fact]
    public void No_two_sets_share_a_question_not_even_reordered_and_no_set_repeats_one()
    {
        // Large counts force the small levels (countdown level 1: 112 puzzles; sums of 2-3 terms: 275) to run out.
        var (train, validation, test) = PromptSetBuilder.Build(TextFamilies, trainPerLevel: 400, validationPerLevel: 40, testPerLevel: 100, seed: 3);
        var sets = new[] { ("train", train), ("validation", validation), ("test", test) };
        foreach (var (name, set) in sets)
            Assert.True(set.Select(SameQuestion).Distinct().Count() == set.Count, $"{name} repeats a question");
        var owner = new Dictionary<string, string>();
        foreach (var (name, set) in sets)
            foreach (var p in set)
                Assert.True(owner.TryAdd(SameQuestion(p), name), $"{p.Id} ({p.Prompt}) of {name} is also in {owner.GetValueOrDefault(SameQuestion(p))}");
        // The counts the small levels had: all of countdown level 1 is used, test first.
        Assert.Equal(100, test.Count(r => r.Id.Contains("countdown-d1")));
        Assert.Equal(12, validation.Count(r => r.Id.Contains("countdown-d1")));
        Assert.DoesNotContain(train, r => r.Id.Contains("countdown-d1"));
        Assert.Equal(275 - 100 - 40, train.Count(r => r.Id.Contains("sum-d1")));
    }

    [Fact]
    public void Image_prompts_keep_the_sets_apart_by_their_scenes_and_a_drawn_sum_is_the_sum_it_draws()
    {
        // "=", "count red:" and "count balls:" are the only texts: by text alone a level would hold a handful of prompts.
        var families = new ITaskFamily[] { new SumTask(), new RenderedSumTask(), new ShapeCountTask(), new SceneCountTask() };
        var (train, validation, test) = PromptSetBuilder.Build(families, trainPerLevel: 150, validationPerLevel: 10, testPerLevel: 25, seed: 3);
        Assert.Equal((4 * 3 * 25, 4 * 3 * 10), (test.Count, validation.Count));
        var sets = new[] { ("train", train), ("validation", validation), ("test", test) };
        foreach (var (name, set) in sets)
            foreach (var family in set.GroupBy(p => p.Tags[0]))
                Assert.True(family.Select(SameVisualQuestion).Distinct().Count() == family.Count(), $"{name} repeats a {family.Key} question");
        // Across sets and across modalities: no drawn sum of one set is a text sum (or a drawn one) of another.
        var owner = new Dictionary<string, string>();
        foreach (var (name, set) in sets)
            foreach (var p in set.GroupBy(SameVisualQuestion).Select(g => g.First()))
                Assert.True(owner.TryAdd(SameVisualQuestion(p), name), $"{p.Id} of {name} is also in {owner.GetValueOrDefault(SameVisualQuestion(p))}");
        // sum-image draws exactly the text family's test prompts, so the two are compared on the same questions.
        Assert.Equal(test.Where(p => p.Tags[0] == "sum").Select(p => p.Prompt),
            test.Where(p => p.Tags[0] == "sum-image").Select(p => p.Extra!["expression"].GetString()));
    }

    [Fact]
    public void Text_identity_rebuilds_suites_as_they_were_before_canonical_forms()
    {
        // Exact text only: reorderings of test prompts stay in training (what schema-1 runs had, and still rebuild).
        var (train, validation, test) = PromptSetBuilder.Build(TextFamilies, 400, 0, 100, seed: 3, PromptIdentity.Text);
        Assert.Empty(validation);
        var testTexts = test.Select(r => r.Prompt).ToHashSet();
        Assert.DoesNotContain(train, r => testTexts.Contains(r.Prompt));
        var testQuestions = test.Select(SameQuestion).ToHashSet();
        Assert.True(train.Count(r => testQuestions.Contains(SameQuestion(r))) > 100, "text identity should leave reordered twins in training");
        // The canonical build draws the test set from the same stream: its first prompt is the same one.
        Assert.Equal(test[0], PromptSetBuilder.Build(TextFamilies, 400, 0, 100, seed: 3).Test[0]);
    }

    [Fact]
    public void Building_is_deterministic_and_each_set_ignores_the_counts_of_the_sets_drawn_after_it()
    {
        var a = PromptSetBuilder.Build(TextFamilies, 20, 3, 5, seed: 11);
        var b = PromptSetBuilder.Build(TextFamilies, 20, 3, 5, seed: 11);
        var c = PromptSetBuilder.Build(TextFamilies, 40, 3, 5, seed: 11);
        var e = PromptSetBuilder.Build(TextFamilies, 20, 6, 5, seed: 11);
        var d = PromptSetBuilder.Build(TextFamilies, 20, 3, 5, seed: 12);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Validation, b.Validation);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(a.Test, c.Test);
        Assert.Equal(a.Validation, c.Validation);
        Assert.Equal(a.Test, e.Test);
        Assert.NotEqual(a.Train.Select(r => r.Prompt), d.Train.Select(r => r.Prompt));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptSetBuilder.Build(BuiltinTasks.All, -1, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptSetBuilder.Build(BuiltinTasks.All, 0, -1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptSetBuilder.Build(BuiltinTasks.All, 0, 0, -1, 0));
        Assert.Throws<ArgumentException>(() => PromptSetBuilder.Build([new SumTask(), new SumTask()], 1, 1, 1, 0));
        var (train, validation, test) = PromptSetBuilder.Build([], 10, 10, 10, 0);
        Assert.Empty(train.Concat(validation).Concat(test));
    }
}
