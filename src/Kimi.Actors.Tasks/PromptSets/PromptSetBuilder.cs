namespace Kimi.Actors.Tasks;

/// <summary>When two prompts count as the same one, for keeping a suite's sets apart.</summary>
public enum PromptIdentity
{
    /// <summary>Equal canonical forms (<see cref="ITaskFamily.Canonical"/>): a reordering of the same terms or numbers is the same prompt.</summary>
    Canonical,
    /// <summary>Equal prompt text only: how suites were built before canonical forms (schema-1 runs are rebuilt this way).</summary>
    Text,
}

/// <summary>
/// A suite's three prompt sets: <see cref="Train"/> (RL prompts and warm-up demonstrations), <see cref="Validation"/>
/// (for tuning and the evaluations during a run) and <see cref="Test"/> (reported after warm-up SFT and at the end only).
/// </summary>
public sealed record PromptSplits(IReadOnlyList<PromptRecord> Train, IReadOnlyList<PromptRecord> Validation, IReadOnlyList<PromptRecord> Test);

/// <summary>
/// Builds the train, validation and test sets of task families: for every family and every difficulty level,
/// <c>testPerLevel</c> test, <c>validationPerLevel</c> validation and <c>trainPerLevel</c> training prompts, no two
/// of them the same prompt under <see cref="PromptIdentity"/> (by default the family's canonical form, so no set
/// holds a reordering of another set's prompt).
/// </summary>
/// <remarks>
/// Deterministic for a seed. Each (family, level, set) draws from its own Random, seeded from the seed, the family
/// name, the level and the set, and the sets are drawn in the order test, validation, train: the test set does not
/// change when the validation or training counts do, and the validation set does not change with the training count.
/// A family drawing another's prompts as images (<see cref="ITaskFamily.SeedName"/>) draws exactly them, set by set.
/// A level with few distinct prompts (countdown level 1 has 112 distinct puzzles, running sums of 2-3 terms 275) yields
/// as many as the generator finds before it has produced <see cref="MissesPerPrompt"/> duplicates per requested prompt
/// (plus <see cref="MinMisses"/>), so the later sets of such a level may fall short, but building always ends. Ids are
/// <c>{family}-d{level}-{index:000000}</c>, test ones prefixed <c>heldout-</c> and validation ones <c>validation-</c>;
/// each set is ordered by family, level, index.
/// </remarks>
public static class PromptSetBuilder
{
    public const string HeldOutPrefix = "heldout-";
    public const string ValidationPrefix = "validation-";
    public const int MissesPerPrompt = 20;
    public const int MinMisses = 1000;

    public static PromptSplits Build(IReadOnlyList<ITaskFamily> families, int trainPerLevel, int validationPerLevel, int testPerLevel, int seed,
        PromptIdentity identity = PromptIdentity.Canonical)
    {
        ArgumentNullException.ThrowIfNull(families);
        ArgumentOutOfRangeException.ThrowIfNegative(trainPerLevel);
        ArgumentOutOfRangeException.ThrowIfNegative(validationPerLevel);
        ArgumentOutOfRangeException.ThrowIfNegative(testPerLevel);
        var duplicate = families.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"task family '{duplicate.Key}' appears twice", nameof(families));

        var taken = new HashSet<string>(StringComparer.Ordinal);
        var test = Draw(families, testPerLevel, seed, HeldOutPrefix, identity, taken);
        var validation = Draw(families, validationPerLevel, seed, ValidationPrefix, identity, taken);
        var train = Draw(families, trainPerLevel, seed, "", identity, taken);
        return new PromptSplits(train, validation, test);
    }

    /// <summary>
    /// The key two prompts of <paramref name="family"/> share when they are the same prompt: its canonical form (or
    /// text), qualified by the family so different families never collide.
    /// </summary>
    public static string Key(ITaskFamily family, PromptRecord record, PromptIdentity identity = PromptIdentity.Canonical) =>
        family.Name + "|" + (identity == PromptIdentity.Canonical ? family.Canonical(record) : TextKey(record));

    /// <summary>The exact text, and an image prompt's images' content: the identity of <see cref="PromptIdentity.Text"/>.</summary>
    public static string TextKey(PromptRecord record) =>
        record.HasImages ? record.Prompt + "\n" + string.Join("\n", record.Images.Select(i => i.Sha256)) : record.Prompt;

    private static List<PromptRecord> Draw(IReadOnlyList<ITaskFamily> families, int perLevel, int seed, string prefix, PromptIdentity identity,
        HashSet<string> taken)
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
                    if (taken.Add(identity == PromptIdentity.Text ? TextKey(record) : Key(family, record)))
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
