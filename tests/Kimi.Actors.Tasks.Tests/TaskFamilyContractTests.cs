namespace Kimi.Actors.Tasks.Tests;

/// <summary>What every built-in family promises, checked over a few hundred seeds per level (code: a few, each runs programs).</summary>
[Collection(SandboxCollection.Name)]
public class TaskFamilyContractTests
{
    private const int Seeds = 300;

    public static TheoryData<string> Families => new(BuiltinTasks.All.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Families))]
    public void Generation_and_demonstration_are_deterministic_for_a_seed(string name)
    {
        var family = BuiltinTasks.ByName(name);
        for (int level = family.MinDifficulty; level <= family.MaxDifficulty; level++)
        {
            var a = Enumerable.Range(0, 50).Select(s => family.Generate(new Random(s), level, $"id{s}")).ToList();
            var b = Enumerable.Range(0, 50).Select(s => family.Generate(new Random(s), level, $"id{s}")).ToList();
            Assert.Equal(a, b);
            Assert.True(a.Select(r => PromptSetBuilder.Key(family, r)).Distinct().Count() > 5, "different seeds should give different prompts");
            foreach (var flawed in new[] { false, true })
            {
                Assert.Equal(
                    a.Select((r, s) => family.Demonstrate(r, new Random(s), flawed)),
                    a.Select((r, s) => family.Demonstrate(r, new Random(s), flawed)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Generated_prompts_carry_the_family_fields(string name)
    {
        var family = BuiltinTasks.ByName(name);
        Assert.Same(family.Verifier, Verifiers.ForDomain(family.Domain));
        for (int level = family.MinDifficulty; level <= family.MaxDifficulty; level++)
        {
            var record = family.Generate(new Random(level), level, "the-id");
            Assert.Equal(("the-id", family.Domain, level), (record.Id, record.Domain, record.Difficulty));
            Assert.Equal([family.Name], record.Tags);
            Assert.True(PromptText.IsPolicyText(record.Prompt) && PromptText.IsPolicyText(record.Answer));
            Assert.True(family.Verifier.Verify(record, "#" + record.Answer).Correct, $"reference answer {record.Answer} of {record.Prompt}");
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Difficulty_outside_the_range_is_rejected(string name)
    {
        var family = BuiltinTasks.ByName(name);
        Assert.Throws<ArgumentOutOfRangeException>(() => family.Generate(new Random(0), family.MinDifficulty - 1, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => family.Generate(new Random(0), family.MaxDifficulty + 1, "x"));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Unflawed_demonstrations_verify_and_flawed_ones_do_not(string name)
    {
        var family = BuiltinTasks.ByName(name);
        for (int level = family.MinDifficulty; level <= family.MaxDifficulty; level++)
        {
            for (int seed = 0; seed < (family.Domain == Verifiers.Code ? 6 : Seeds); seed++)
            {
                var record = family.Generate(new Random(seed), level, "x");
                var good = family.Demonstrate(record, new Random(seed), flawed: false);
                var bad = family.Demonstrate(record, new Random(seed), flawed: true);
                var verdict = family.Verifier.Verify(record, good);
                Assert.True(verdict.Correct, $"{record.Prompt} {good}: {verdict.Reason}");
                verdict = family.Verifier.Verify(record, bad);
                Assert.False(verdict.Correct, $"flawed {record.Prompt} {bad} verified");
                Assert.StartsWith(family.Domain == Verifiers.Code ? "wrong output on test" : "wrong value", verdict.Reason);
                foreach (var text in new[] { good, bad })
                {
                    Assert.InRange(text.Length, 1, family.MaxResponseChars);
                    Assert.True(PromptText.IsPolicyText(text), text);
                    Assert.DoesNotContain('\n', text);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Demonstrate_rejects_prompts_of_another_format(string name)
    {
        var family = BuiltinTasks.ByName(name);
        var foreign = new PromptRecord("x", "What is the capital of France?", "Paris", family.Domain, 1, []);
        Assert.Throws<ArgumentException>(() => family.Demonstrate(foreign, new Random(0), false));
    }

    [Fact]
    public void Builtin_families_are_found_by_name()
    {
        Assert.Equal(["sum", "countdown", "code", "shapes", "sum-image", "scenes"], BuiltinTasks.All.Select(f => f.Name));
        Assert.IsType<SumTask>(BuiltinTasks.ByName("sum"));
        var e = Assert.Throws<ArgumentException>(() => BuiltinTasks.ByName("chess"));
        Assert.Contains("sum, countdown, code, shapes, sum-image, scenes", e.Message);
    }
}
