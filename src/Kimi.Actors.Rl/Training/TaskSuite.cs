using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// The prompts of a run: training and held-out sets (never overlapping), the families that can
/// demonstrate them for warm-up SFT, and the verifier of each domain.
/// </summary>
public sealed class TaskSuite
{
    private readonly Dictionary<string, ITaskFamily> _familyByDomain;

    public IReadOnlyList<PromptRecord> Train { get; }
    public IReadOnlyList<PromptRecord> HeldOut { get; }
    public IReadOnlyList<ITaskFamily> Families { get; }

    private TaskSuite(IReadOnlyList<PromptRecord> train, IReadOnlyList<PromptRecord> heldOut, IReadOnlyList<ITaskFamily> families)
    {
        Train = train;
        HeldOut = heldOut;
        Families = families;
        _familyByDomain = families.GroupBy(f => f.Domain).ToDictionary(g => g.Key, g => g.First());
    }

    /// <summary>A suite of given prompt lists (benchmarks, tests), demonstrated by <paramref name="families"/>.</summary>
    public static TaskSuite Of(IReadOnlyList<PromptRecord> train, IReadOnlyList<PromptRecord> heldOut, IReadOnlyList<ITaskFamily> families) =>
        train.Count == 0 || heldOut.Count == 0
            ? throw new ArgumentException("a task suite needs training and held-out prompts")
            : new TaskSuite(train, heldOut, families);

    public static TaskSuite Create(TaskOptions options, long seed, ITokenizer tokenizer)
    {
        if (options.Families.Count == 0) throw new ArgumentException("tasks.families: at least one task family is required");
        var families = options.Families.Select(BuiltinTasks.ByName).ToList();
        IReadOnlyList<PromptRecord> train, heldOut;
        if (options.TrainFile is null && options.HeldOutFile is null)
        {
            (train, heldOut) = PromptSetBuilder.Build(families, options.TrainPerLevel, options.HeldOutPerLevel, (int)seed);
        }
        else
        {
            if (options.TrainFile is null || options.HeldOutFile is null)
                throw new ArgumentException("tasks.train-file and tasks.heldout-file must be given together");
            var load = new PromptSetLoadOptions(IsAllowedChar: tokenizer.CanEncode);
            train = PromptSet.Load(options.TrainFile, load);
            heldOut = PromptSet.Load(options.HeldOutFile, load);
            var trainTexts = train.Select(p => p.Prompt).ToHashSet();
            var leaked = heldOut.FirstOrDefault(p => trainTexts.Contains(p.Prompt));
            if (leaked is not null)
                throw new ArgumentException($"{options.HeldOutFile}: held-out prompt '{leaked.Id}' also appears in {options.TrainFile}");
        }
        if (train.Count == 0) throw new ArgumentException("the training prompt set is empty");
        if (heldOut.Count == 0) throw new ArgumentException("the held-out prompt set is empty");
        return new TaskSuite(train, heldOut, families);
    }

    public ITaskFamily? FamilyFor(PromptRecord prompt) => _familyByDomain.GetValueOrDefault(prompt.Domain);

    /// <summary>
    /// Demonstrations for one warm-up SFT step: training prompts drawn with a step-specific seed, each
    /// demonstrated by its family, a fraction of them with one mistake. <paramref name="images"/> lays out the images
    /// of image prompts (the policy's vision encoder).
    /// </summary>
    public IReadOnlyList<Demonstration> Demonstrations(int count, double flawRate, long seed, int step, ITokenizer tokenizer, ImageLayout? images = null)
    {
        var rng = Seeds.Random(seed, Seeds.Demonstrations, step);
        var demonstrable = Train.Where(p => FamilyFor(p) is not null).ToList();
        if (demonstrable.Count == 0) throw new InvalidOperationException("no training prompt has a built-in family to demonstrate it");
        var result = new List<Demonstration>(count);
        for (int i = 0; i < count; i++)
        {
            var p = demonstrable[rng.Next(demonstrable.Count)];
            var text = FamilyFor(p)!.Demonstrate(p, rng, flawed: rng.NextDouble() < flawRate);
            result.Add(new Demonstration(PromptTokens.Encode(tokenizer, p, images), PromptTokens.EncodeResponse(tokenizer, text),
                p.HasImages ? p.Images : null));
        }
        return result;
    }
}

/// <summary>One warm-up SFT document: prompt and response tokens, and the prompt's image references (null for text).</summary>
public sealed record Demonstration(int[] Prompt, int[] Response, IReadOnlyList<Kimi.Actors.Tasks.Images.PromptImage>? Images = null);
