using System.Globalization;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Rl.Training;

namespace Kimi.Bench.Ablation;

/// <summary>The configuration every arm starts from: a preset, files and settings, layered as <c>kimi train</c> layers them.</summary>
public sealed record BaseLayers(string? Preset, IReadOnlyList<string> Files, IReadOnlyList<string> Settings);

/// <summary>An arm of a study, by name.</summary>
public sealed record ArmRef(string Study, string Arm)
{
    public override string ToString() => $"{Study}/{Arm}";
}

/// <summary>
/// One distinct run configuration. Arms that resolve to the same configuration (the base preset's own choice appears
/// in several studies) share it, so it is trained once per seed.
/// </summary>
public sealed record AblationConfig(int Index, IReadOnlyList<string> Settings, IReadOnlyList<ArmRef> UsedBy);

/// <summary>One training run of the table: a configuration at a seed, with the options the engine is given.</summary>
/// <param name="SftKey">Everything warm-up SFT depends on; cells with equal keys start from the same SFT policy.</param>
public sealed record AblationCell(AblationConfig Config, long Seed, RunOptions Options, string SftKey);

/// <summary>Which runs an ablation table needs: the studies' arms resolved to configurations, times the seeds.</summary>
public sealed record AblationPlan(BaseLayers Base, int Iterations, long TokenBudget, IReadOnlyList<long> Seeds,
    IReadOnlyList<AblationStudy> Studies, IReadOnlyList<AblationConfig> Configs, IReadOnlyList<AblationCell> Cells)
{
    /// <summary>Settings every arm gets after the user's: the budget, and no validation evaluations (the table reads the test set only).</summary>
    public static IReadOnlyList<string> Fixed(int iterations) => [$"kimi.run.iterations={iterations}", "kimi.eval.every-iterations=0"];

    /// <summary>The keys warm-up SFT reads: the policy it starts from, the demonstrations, its own settings.</summary>
    private static readonly string[] SftPrefixes = ["kimi.model.", "kimi.tasks.", "kimi.sft.", "kimi.run.seed", "kimi.run.init-checkpoint", "kimi.run.device"];

    public AblationConfig ConfigOf(ArmRef arm) => Configs.First(c => c.UsedBy.Contains(arm));

    /// <summary>
    /// Resolves every arm of <paramref name="studyNames"/> over <paramref name="layers"/>; a configuration that does not
    /// bind is the user's to fix (exit 2, naming the key and the arm).
    /// </summary>
    /// <param name="tokenBudget">The partial-rollouts arm's budget; null: prompts × samples × <see cref="AblationStudies.TokensPerResponse"/>.</param>
    public static AblationPlan Build(BaseLayers layers, IReadOnlyList<string> studyNames, IReadOnlyList<long> seeds, int iterations, long? tokenBudget)
    {
        var baseOptions = Bind(Load(layers, Fixed(iterations)), "the base configuration");
        long budget = tokenBudget ?? (long)baseOptions.Rollout.PromptsPerIteration * baseOptions.Rollout.SamplesPerPrompt * AblationStudies.TokensPerResponse;
        var studies = AblationStudies.Select(studyNames, new StudyBudget(iterations, budget));

        // Arms resolving to the same run configuration are one configuration (the seed is set per cell).
        var byText = new Dictionary<string, (IReadOnlyList<string> Settings, List<ArmRef> UsedBy)>();
        var order = new List<string>();
        foreach (var study in studies)
            foreach (var arm in study.Arms)
            {
                var text = Canonical(Load(layers, [.. Fixed(iterations), .. arm.Settings]), IsRunKey);
                if (!byText.TryGetValue(text, out var entry))
                {
                    byText[text] = entry = (arm.Settings, []);
                    order.Add(text);
                }
                entry.UsedBy.Add(new ArmRef(study.Name, arm.Name));
            }
        var configs = order.Select((t, i) => new AblationConfig(i + 1, byText[t].Settings, byText[t].UsedBy)).ToList();

        // Configuration by configuration, every seed of one before the next: a table stopped early has whole studies.
        var cells = new List<AblationCell>();
        foreach (var config in configs)
            foreach (long seed in seeds)
            {
                var resolved = Load(layers, [.. Fixed(iterations), .. config.Settings, $"kimi.run.seed={seed}"]);
                cells.Add(new AblationCell(config, seed, Bind(resolved, string.Join(", ", config.UsedBy)), SftKey(resolved)));
            }
        return new AblationPlan(layers, iterations, budget, seeds, studies, configs, cells);
    }

    private static Config Load(BaseLayers layers, IEnumerable<string> extra)
    {
        var preset = layers.Preset;
        try { return KimiConfigLoader.Load(preset, layers.Files, [.. layers.Settings, .. extra]); }
        catch (ConfigException e) { throw new UsageException($"ablation: {e.Message}"); }
    }

    private static RunOptions Bind(Config config, string what)
    {
        try { return RunOptionsBinder.Bind(config); }
        catch (ConfigException e) { throw new UsageException($"ablation: {what}: {e.Message}"); }
    }

    private static string SftKey(Config config) => Canonical(config, key => SftPrefixes.Any(key.StartsWith));

    /// <summary>A run key (what the journal keeps of a run), not a node's or another command's.</summary>
    private static bool IsRunKey(string key) =>
        !RunOptionsBinder.NodeSections.Concat(RunOptionsBinder.CommandSections).Any(s => key.StartsWith($"kimi.{s}.", StringComparison.Ordinal));

    /// <summary>
    /// The <c>kimi</c> keys <paramref name="include"/> admits with their values, one per line in key order, numbers in one
    /// spelling: two configurations with equal text bind to the same options (<c>weight = 0.0</c> and <c>weight = 0</c> alike).
    /// </summary>
    public static string Canonical(Config config, Func<string, bool> include)
    {
        var leaves = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Walk(Akka.Configuration.Hocon.HoconObject obj, string path)
        {
            foreach (var (key, value) in obj.Items)
            {
                var full = $"{path}.{key}";
                if (value.IsObject()) Walk(value.GetObject(), full);
                else if (!include(full)) continue;
                else if (value.IsArray()) leaves[full] = "[" + string.Join(", ", value.GetStringList().Select(Number)) + "]";
                else leaves[full] = Number(value.GetString() ?? "");
            }
        }
        static string Number(string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d.ToString("R", CultureInfo.InvariantCulture) : text;
        Walk(config.GetConfig("kimi").Root.GetObject(), "kimi");
        return string.Concat(leaves.Select(p => $"{p.Key} = {p.Value}\n"));
    }
}
