namespace Kimi.Actors.Tasks.Tests;

/// <summary>
/// Labelled examples for model judges: both labels present, each label what the family's rule verifier says, and the
/// held-out side sharing no question with training under the families' canonical forms (recomputed here by hand).
/// </summary>
public sealed class JudgeExamplesTests
{
    private static readonly ITaskFamily[] Families = [BuiltinTasks.ByName("sum"), BuiltinTasks.ByName("countdown")];

    private static JudgeExampleSplit Split(int seed = 3) => JudgeExamples.Build(Families, trainPromptsPerLevel: 60, heldOutPromptsPerLevel: 15, variantsPerPrompt: 4, seed);

    /// <summary>The question as a multiset, written without the families' code: sorted terms; sorted numbers and the target.</summary>
    private static string ByHand(JudgeExample e)
    {
        if (e.Family == "sum") return "sum:" + string.Join(",", e.Question.TrimEnd('=').Split('+').Select(int.Parse).Order());
        var gt = e.Question.IndexOf('>');
        var numbers = e.Question[..gt].Split(' ').Select(int.Parse).Order();
        return "countdown:" + string.Join(",", numbers) + ">" + e.Question[(gt + 1)..].TrimEnd(':');
    }

    [Fact]
    public void Held_out_questions_share_no_canonical_form_with_training()
    {
        var split = Split();
        var trainForms = split.Train.Select(ByHand).ToHashSet();
        var heldForms = split.HeldOut.Select(ByHand).ToHashSet();
        Assert.True(heldForms.Count >= 50, $"{heldForms.Count} held-out questions");
        Assert.True(trainForms.Count >= 200, $"{trainForms.Count} training questions");
        Assert.Empty(heldForms.Intersect(trainForms));
        // A reordering is the same question: the held-out side has reorderings of nothing the training side asks.
        Assert.Empty(split.HeldOut.Select(e => e.Question).Intersect(split.Train.Select(e => e.Question)));
        // The recorded canonical key agrees with the hand-made form (one key per form, one form per key).
        foreach (var group in split.Train.Concat(split.HeldOut).GroupBy(e => e.Canonical))
            Assert.Single(group.Select(ByHand).Distinct());
    }

    [Fact]
    public void Labels_are_what_the_rule_verifier_says_and_both_are_common()
    {
        var split = Split();
        foreach (var e in split.Train.Concat(split.HeldOut))
        {
            var family = Families.Single(f => f.Name == e.Family);
            var prompt = new PromptRecord("p", e.Question, e.Reference, family.Domain, 1, [family.Name]);
            Assert.True(family.Verifier.Verify(prompt, e.Response).Correct == e.Correct, $"{e.Family} {e.Kind}: {e.Question} {e.Response} labelled {e.Correct}");
            Assert.Equal(e.Kind.IsCorrect(), e.Correct);
        }
        foreach (var side in new[] { split.Train, split.HeldOut })
        {
            double positive = side.Count(e => e.Correct) / (double)side.Count;
            Assert.InRange(positive, 0.4, 0.6);
            foreach (var family in Families)
                Assert.Equal(JudgeExampleKinds.All.Count, side.Where(e => e.Family == family.Name).Select(e => e.Kind).Distinct().Count());
        }
    }

    [Fact]
    public void A_seed_fixes_the_examples_and_the_held_out_side_does_not_move_with_the_training_count()
    {
        var a = Split(seed: 5);
        var b = Split(seed: 5);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.HeldOut, b.HeldOut);
        var more = JudgeExamples.Build(Families, trainPromptsPerLevel: 90, heldOutPromptsPerLevel: 15, variantsPerPrompt: 4, seed: 5);
        Assert.Equal(a.HeldOut, more.HeldOut);
        Assert.NotEqual(a.HeldOut, Split(seed: 6).HeldOut);
    }

    [Fact]
    public void The_rationale_compares_the_final_answer_with_the_reference()
    {
        Assert.Equal(("final:17 ref:17 1=1 7=7 same", true), JudgeRationale.For("sum", "17", "3,8,10,17#+17.0"));
        Assert.Equal(("final:16 ref:17 1=1 6x7 differ", false), JudgeRationale.For("sum", "17", "3,8,10,16#16"));
        Assert.Equal(("final:170 ref:17 1=1 7=7 0x_ differ", false), JudgeRationale.For("sum", "17", "#0170"));
        Assert.Equal(("final:1777 ref:17 1=1 7=7 7x_ differ", false), JudgeRationale.For("sum", "17", "#1777"));
        Assert.Equal(("final:1 ref:17 1=1 _x7 differ", false), JudgeRationale.For("sum", "17", "#1"));
        Assert.Equal(("final:none ref:17 differ", false), JudgeRationale.For("sum", "17", "3,8,10,17"));
        Assert.Equal(("final:4*2+7 ref:4*2+7 4=4 *=* 2=2 +=+ 7=7 same", true), JudgeRationale.For("countdown", "4*2+7", "4*2=8,8+7=15 ok# 4 * 2 + 7"));
        Assert.Throws<ArgumentException>(() => JudgeRationale.For("code", "x", "y"));
        Assert.Throws<ArgumentException>(() => JudgeExamples.Build([BuiltinTasks.ByName("code")], 1, 1, 2, 1));
    }
}
