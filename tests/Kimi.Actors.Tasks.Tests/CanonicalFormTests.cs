namespace Kimi.Actors.Tasks.Tests;

/// <summary>Canonical forms: what makes two prompts the same question for keeping train, validation and test apart.</summary>
public class CanonicalFormTests
{
    private static PromptRecord P(string prompt, string domain = "arithmetic") => new("x", prompt, "", domain, 1, []);

    [Fact]
    public void A_running_sum_is_the_multiset_of_its_terms()
    {
        var sum = BuiltinTasks.ByName("sum");
        Assert.Equal("2+3+5+7=", sum.Canonical(P("3+5+2+7=")));
        Assert.Equal(sum.Canonical(P("7+2+5+3=")), sum.Canonical(P("3+5+2+7=")));
        Assert.NotEqual(sum.Canonical(P("3+5+2=")), sum.Canonical(P("3+5+2+0=")));   // another multiset
        Assert.NotEqual(sum.Canonical(P("3+3+2=")), sum.Canonical(P("3+2+2=")));     // multiplicity counts
        Assert.Equal("12+3=", sum.Canonical(P(" 12+3= ")));                            // not a sum prompt: normalised text
    }

    [Fact]
    public void A_countdown_puzzle_is_the_multiset_of_its_numbers_and_its_target()
    {
        var countdown = BuiltinTasks.ByName("countdown");
        Assert.Equal("2 4 7>15:", countdown.Canonical(P("4 7 2>15:", "search")));
        Assert.Equal(countdown.Canonical(P("7 2 4>15:", "search")), countdown.Canonical(P("4 7 2>15:", "search")));
        Assert.NotEqual(countdown.Canonical(P("4 7 2>15:", "search")), countdown.Canonical(P("4 7 2>16:", "search")));
        Assert.NotEqual(countdown.Canonical(P("4 4 2>10:", "search")), countdown.Canonical(P("4 2 2>10:", "search")));
        Assert.Equal("make 15", countdown.Canonical(P("make  15", "search")));
    }

    [Fact]
    public void Normalised_text_folds_full_width_forms_and_white_space_but_not_case()
    {
        Assert.Equal("1+2= x", PromptCanonical.Text("\t１+２=\n\n x  "));   // full-width digits, tabs and newlines
        Assert.Equal("f(x) = x", PromptCanonical.Text("ｆ（ｘ）\u3000=\u3000x"));   // full-width letters and brackets, ideographic spaces
        Assert.NotEqual(PromptCanonical.Text("Sort A"), PromptCanonical.Text("sort a"));
        Assert.Equal("", PromptCanonical.Text("  \n"));
    }

    [Fact]
    public void A_family_without_its_own_form_uses_the_normalised_text()
    {
        ITaskFamily plain = new OrderedFamily();
        Assert.Equal("b a", plain.Canonical(P(" b\ta ")));
    }

    /// <summary>A family that keeps the default canonical form (ordered prompts, like code).</summary>
    private sealed class OrderedFamily : ITaskFamily
    {
        public string Name => "ordered";
        public string Domain => "math";
        public int MinDifficulty => 1;
        public int MaxDifficulty => 1;
        public int MaxResponseChars => 8;
        public IVerifier Verifier => NumericAnswerVerifier.Instance;
        public PromptRecord Generate(Random rng, int difficulty, string id) => new(id, "b a", "", Domain, 1, []);
        public string Demonstrate(PromptRecord prompt, Random rng, bool flawed) => "#0";
    }
}
