namespace Kimi.Actors.Tasks;

/// <summary>
/// Builds a training set and a held-out set from task families: for every family and every difficulty
/// level, <c>heldOutPerLevel</c> held-out and <c>trainPerLevel</c> training prompts.
/// </summary>
/// <remarks>
/// Deterministic for a seed. Each (family, level, split) draws from its own Random, seeded from the seed,
/// the family's <see cref="ITaskFamily.SeedName"/> and the level, so the held-out set does not change when the training
/// count does, and a family drawing another's prompts as images draws exactly them. All held-out prompts are drawn
/// first; training prompts never repeat a held-out prompt (its text and images, <see cref="Key"/>) nor each other, and
/// held-out prompts are distinct too. A level with few distinct prompts (countdown level 1 has
/// only a couple of hundred) yields as many as the generator finds before it has produced
/// <see cref="MissesPerPrompt"/> duplicates per requested prompt (plus <see cref="MinMisses"/>), so the
/// counts may fall short but building always ends. Ids are <c>{family}-d{level}-{index:000000}</c>,
/// held-out ones prefixed <c>heldout-</c>; output is ordered by family, level, index.
/// </remarks>
public static class PromptSetBuilder
{
    public const string HeldOutPrefix = "heldout-";
    public const int MissesPerPrompt = 20;
    public const int MinMisses = 1000;

    public static (IReadOnlyList<PromptRecord> Train, IReadOnlyList<PromptRecord> HeldOut) Build(
        IReadOnlyList<ITaskFamily> families, int trainPerLevel, int heldOutPerLevel, int seed)
    {
        ArgumentNullException.ThrowIfNull(families);
        ArgumentOutOfRangeException.ThrowIfNegative(trainPerLevel);
        ArgumentOutOfRangeException.ThrowIfNegative(heldOutPerLevel);
        var duplicate = families.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"task family '{duplicate.Key}' appears twice", nameof(families));

        var taken = new HashSet<string>(StringComparer.Ordinal);
        var heldOut = Draw(families, heldOutPerLevel, seed, HeldOutPrefix, taken);
        var train = Draw(families, trainPerLevel, seed, "", taken);
        return (train, heldOut);
    }

    private static List<PromptRecord> Draw(IReadOnlyList<ITaskFamily> families, int perLevel, int seed, string prefix, HashSet<string> taken)
    {
        var result = new List<PromptRecord>();
        foreach (var family in families)
        {
            for (int level = family.MinDifficulty; level <= family.MaxDifficulty; level++)
            {
                var rng = new Random(StableSeed(seed, family.SeedName, level, prefix));
                int misses = 0, maxMisses = MinMisses + MissesPerPrompt * perLevel;
                for (int index = 0; index < perLevel && misses < maxMisses;)
                {
                    var record = family.Generate(rng, level, $"{prefix}{family.Name}-d{level}-{index:D6}");
                    if (taken.Add(Key(record)))
                    {
                        result.Add(record);
                        index++;
                    }
                    else
                    {
                        misses++;
                    }
                }
            }
        }
        return result;
    }

    /// <summary>What makes two prompts the same prompt: their text and their images' content.</summary>
    public static string Key(PromptRecord record) =>
        record.HasImages ? record.Prompt + "\n" + string.Join("\n", record.Images.Select(i => i.Sha256)) : record.Prompt;

    // string.GetHashCode is randomised per process; FNV-1a keeps seeds stable across runs and machines.
    private static int StableSeed(int seed, string family, int level, string split)
    {
        uint hash = 2166136261;
        foreach (var c in $"{seed}|{family}|{level}|{split}")
        {
            hash ^= c;
            hash *= 16777619;
        }
        return (int)(hash & int.MaxValue);
    }
}
