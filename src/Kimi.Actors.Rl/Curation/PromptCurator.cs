using System.Globalization;
using System.Text;
using System.Text.Json;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Curation;

/// <summary>Curation settings: samples and temperature for the difficulty estimate, and the no-reasoning guess budget.</summary>
public sealed record CurationOptions
{
    public int Samples { get; init; } = 10;
    public double Temperature { get; init; } = 1.0;
    public int Guesses { get; init; } = 8;
    public int MaxResponseTokens { get; init; } = 96;
    public int GuessTokens { get; init; } = 32;
    public long Seed { get; init; } = 1;
}

/// <summary>One prompt's curation: its format, pass rate over the samples, whether a no-reasoning guess hit, and why it was dropped (null: kept).</summary>
public sealed record CuratedPrompt(PromptRecord Prompt, PromptFormat Format, double? PassRate, int GuessHits, string? DropReason)
{
    public bool Kept => DropReason is null;
}

/// <summary>
/// Prompt-set curation (k1.5 §2.1): drops multiple-choice, true/false and proof formats; estimates difficulty as the
/// model's pass rate over <see cref="CurationOptions.Samples"/> samples at <see cref="CurationOptions.Temperature"/>;
/// drops prompts the model answers within <see cref="CurationOptions.Guesses"/> no-reasoning guesses (the response is
/// forced to start at the answer marker, so there is no chain of thought); tags each kept prompt with its domain and
/// relabels its difficulty 1..10 from the pass rate (1: always solved, 10: never). Judged by the domain verifiers.
/// </summary>
public static class PromptCurator
{
    public const string PassRateField = "pass_rate";

    /// <summary>Generates responses for requests (the policy's sampler in production; a stub in tests).</summary>
    public delegate IReadOnlyList<Trajectory> Sampler(IReadOnlyList<RolloutRequest> requests, int maxTokens, long seed);

    public static Sampler PolicySampler(LlamaForCausalLM policy, double temperature) => (requests, maxTokens, seed) =>
        RolloutWorker.Generate(policy, requests, new RolloutSettings { Temperature = temperature, MaxResponseTokens = maxTokens }, 0, seed).Trajectories;

    public static IReadOnlyList<CuratedPrompt> Curate(IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer, Sampler sample, CurationOptions options)
    {
        var open = prompts.Select(p => (Prompt: p, Format: PromptFormats.Classify(p))).ToList();
        var candidates = open.Where(p => p.Format == PromptFormat.Open).Select(p => p.Prompt).ToList();
        var guessHits = Judge(candidates, tokenizer, options.Guesses, forceAnswer: true, options.GuessTokens, options.Seed + 1, sample);
        var solved = Judge(candidates, tokenizer, options.Samples, forceAnswer: false, options.MaxResponseTokens, options.Seed, sample);
        var byId = candidates.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        return open.Select(p =>
        {
            if (p.Format != PromptFormat.Open) return new CuratedPrompt(p.Prompt, p.Format, null, 0, $"format: {p.Format.Name()}");
            int i = byId[p.Prompt.Id];
            double pass = (double)solved[i] / options.Samples;
            if (guessHits[i] > 0) return new CuratedPrompt(p.Prompt, p.Format, pass, guessHits[i], $"answered by {guessHits[i]} of {options.Guesses} guesses without reasoning");
            var tags = p.Prompt.Tags.Contains($"domain:{p.Prompt.Domain}") ? p.Prompt.Tags : [.. p.Prompt.Tags, $"domain:{p.Prompt.Domain}"];
            var extra = new Dictionary<string, JsonElement>(p.Prompt.Extra ?? new Dictionary<string, JsonElement>())
            {
                [PassRateField] = JsonSerializer.SerializeToElement(Math.Round(pass, 4)),
            };
            var curated = p.Prompt with { Difficulty = DifficultyOf(pass), Tags = tags, Extra = extra };
            return new CuratedPrompt(curated, p.Format, pass, 0, null);
        }).ToList();
    }

    /// <summary>Pass rate 1 is difficulty 1, pass rate 0 is difficulty 10, linear between.</summary>
    public static int DifficultyOf(double passRate) => 1 + (int)Math.Round((1 - passRate) * 9, MidpointRounding.AwayFromZero);

    private static int[] Judge(IReadOnlyList<PromptRecord> prompts, ITokenizer tokenizer, int n, bool forceAnswer, int maxTokens, long seed, Sampler sample)
    {
        var counts = new int[prompts.Count];
        if (n == 0 || prompts.Count == 0) return counts;
        int[]? marker = forceAnswer ? tokenizer.Encode(FinalAnswer.Marker.ToString()) : null;
        var requests = prompts.SelectMany((p, i) => Enumerable.Range(0, n).Select(k =>
            new RolloutRequest(new TrajectoryId(new PromptId(p.Id), 0, k), PromptTokens.Encode(tokenizer, p.Prompt), marker))).ToList();
        var trajectories = sample(requests, maxTokens, seed);
        for (int r = 0; r < trajectories.Count; r++)
            if (RewardJudging.Judge(trajectories[r], prompts[r / n], tokenizer).Correct) counts[r / n]++;
        return counts;
    }

    /// <summary>The coverage and difficulty report: a table per domain and a text bar chart of kept prompts per difficulty.</summary>
    public static string Report(IReadOnlyList<CuratedPrompt> curated)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(c, $"{"domain",-12}{"prompts",9}{"format",8}{"guessed",9}{"kept",7}{"pass rate",11}"));
        foreach (var g in curated.GroupBy(p => p.Prompt.Domain).OrderBy(g => g.Key, StringComparer.Ordinal).Append(null))
        {
            var rows = g?.ToList() ?? curated.ToList();
            var kept = rows.Where(r => r.Kept).ToList();
            string pass = kept.Count == 0 ? "-" : kept.Average(r => r.PassRate!.Value).ToString("0.000", c);
            text.AppendLine(string.Create(c, $"{g?.Key ?? "all",-12}{rows.Count,9}{rows.Count(r => r.Format != PromptFormat.Open),8}{rows.Count(r => r.GuessHits > 0),9}{kept.Count,7}{pass,11}"));
        }
        text.AppendLine();
        text.AppendLine("kept prompts per difficulty (1 = always solved, 10 = never)");
        var perLevel = Enumerable.Range(1, 10).Select(d => curated.Count(r => r.Kept && r.Prompt.Difficulty == d)).ToArray();
        int max = Math.Max(1, perLevel.Max());
        for (int d = 1; d <= 10; d++)
            text.AppendLine(string.Create(c, $"{d,3} | {new string('#', (int)Math.Ceiling(40.0 * perLevel[d - 1] / max))} {perLevel[d - 1]}"));
        return text.ToString();
    }
}
