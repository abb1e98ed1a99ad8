using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Curation;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Tests.Curation;

/// <summary>Curation with a scripted sampler: formats dropped, guessable prompts dropped, difficulty from the pass rate, domains tagged.</summary>
public class PromptCuratorTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;

    private static PromptRecord P(string id, string prompt, string answer, string domain = "math") => new(id, prompt, answer, domain, 5, ["t"]);

    /// <summary>
    /// Answers from a script: guesses (responses forced to start at '#') get <paramref name="guess"/> for the prompt; full
    /// samples get the correct answer for the first <paramref name="correct"/> of every 10 samples of that prompt.
    /// </summary>
    private static PromptCurator.Sampler Scripted(IReadOnlyDictionary<string, (string Answer, int Correct, string Guess)> script) => (requests, max, seed) =>
        requests.Select(r =>
        {
            var (answer, correct, guess) = script[r.PromptId.Value];
            string text = r.PriorTokens is { Length: > 0 } ? guess : (r.Sample < correct ? "work#" + answer : "work#wrong");
            var tokens = (r.PriorTokens is { Length: > 0 } ? [.. r.PriorTokens, .. Tok.Encode(text)] : Tok.Encode(text)).Append(Tok.EosId).ToArray();
            return new Trajectory(r.Id, tokens, new float[tokens.Length], StopReason.Stop, []);
        }).ToList();

    [Fact]
    public void Curation_drops_formats_and_guessable_prompts_and_labels_difficulty_by_pass_rate()
    {
        var prompts = new[]
        {
            P("mc", "Which is prime? (A) 4 (B) 6 (C) 7 (D) 8", "C"),
            P("tf", "Is 7 prime?", "true"),
            P("proof", "Prove that there are infinitely many primes.", "n/a"),
            P("easy", "What is 2+2?", "4"),
            P("hard", "What is 17*23?", "391"),
            P("never", "What is 123*457?", "56211"),
            P("guessable", "What is 1+0?", "1"),
        };
        var script = new Dictionary<string, (string, int, string)>
        {
            ["easy"] = ("4", 10, "5"), ["hard"] = ("391", 3, "390"), ["never"] = ("56211", 0, "1"), ["guessable"] = ("1", 10, "1"),
        };
        var curated = PromptCurator.Curate(prompts, Tok, Scripted(script), new CurationOptions { Samples = 10, Guesses = 8 });

        Assert.Equal(["format: multiple-choice", "format: true-false", "format: proof"], curated.Take(3).Select(c => c.DropReason));
        Assert.Equal("answered by 8 of 8 guesses without reasoning", curated[6].DropReason);
        var kept = curated.Where(c => c.Kept).ToDictionary(c => c.Prompt.Id);
        Assert.Equal(["easy", "hard", "never"], kept.Keys);
        Assert.Equal((1.0, 1), (kept["easy"].PassRate, kept["easy"].Prompt.Difficulty));
        Assert.Equal((0.3, 7), (kept["hard"].PassRate, kept["hard"].Prompt.Difficulty));   // 1 + round(0.7 * 9) = 7
        Assert.Equal((0.0, 10), (kept["never"].PassRate, kept["never"].Prompt.Difficulty));
        Assert.Equal(["t", "domain:math"], kept["hard"].Prompt.Tags);
        Assert.Equal(0.3, kept["hard"].Prompt.Extra![PromptCurator.PassRateField].GetDouble());

        var report = PromptCurator.Report(curated);
        Assert.Contains("math", report);
        Assert.Matches(@"(?m)^all\s+7\s+3\s+1\s+3\s+0\.433$", report);
        Assert.Matches(@"(?m)^  7 \| #+ 1$", report);
        Assert.Matches(@"(?m)^  5 \|  0$", report);
    }

    [Theory]
    [InlineData("Pick one: A) 1 B) 2", "B", PromptFormat.MultipleChoice)]
    [InlineData("Pick one: A) 1 B) 2", "2", PromptFormat.Open)]
    [InlineData("Is it odd?", "No", PromptFormat.TrueFalse)]
    [InlineData("Show that x > 0.", "x>0", PromptFormat.Proof)]
    [InlineData("Grade A is best; what is 2+3?", "A", PromptFormat.Open)]
    [InlineData("3+5+2=", "10", PromptFormat.Open)]
    public void Formats_are_told_apart(string prompt, string answer, PromptFormat format) =>
        Assert.Equal(format, PromptFormats.Classify(P("x", prompt, answer)));
}
