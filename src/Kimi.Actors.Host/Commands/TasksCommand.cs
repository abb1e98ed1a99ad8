using System.CommandLine;
using System.Text.Json;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi tasks export --out DIR</c>: the train, validation and test sets of the suite a run with the same
/// configuration would use, as prompt-set files (the input schema, plus each prompt's <c>canonical</c> form, the identity
/// under which the sets are disjoint), so what a run trains and is measured on can be read and checked outside it.
/// </summary>
public static class TasksCommand
{
    public const string CanonicalField = "canonical";

    /// <summary>The files written, in the order the suite is built (test first).</summary>
    public static readonly string[] Files = ["test.jsonl", "validation.jsonl", "train.jsonl"];

    public static Command Create()
    {
        var layers = new ConfigLayerOptions();
        var output = CliOptions.Text("--out", "DIR", "the folder to write train.jsonl, validation.jsonl and test.jsonl into").Required();
        var export = new Command("export", "write the train, validation and test sets of the suite a run would use (same --preset, --config, --set), " +
            "each prompt with its canonical form")
        {
            output, layers.Preset, layers.Config, layers.Set,
        };
        export.SetAction(r => Export(layers.Load(r), r.GetValue(output)!, r.InvocationConfiguration.Output));
        return new Command("tasks", "the prompt sets of a run") { export };
    }

    public static int Export(Akka.Configuration.Config config, string outDir, TextWriter stdout)
    {
        var options = RunOptionsBinder.Bind(config);
        var tokenizer = options.Tokenizer.Create();
        TaskSuite suite;
        try { suite = TaskSuite.Create(options.Tasks, options.Seed, tokenizer); }
        catch (ArgumentException e) { throw new ConfigException("kimi.tasks: " + e.Message); }
        try { Directory.CreateDirectory(outDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"tasks export: --out {outDir}: {e.Message}"); }

        foreach (var (file, set) in Files.Zip(new[] { suite.Test, suite.Validation, suite.Train }))
        {
            var path = Path.Combine(outDir, file);
            PromptSet.Write(path, set.Select(p => WithCanonical(p, suite.CanonicalOf(p))));
            var levels = string.Join(", ", set.GroupBy(p => (p.Domain, p.Difficulty)).OrderBy(g => g.Key)
                .Select(g => $"{g.Key.Domain} d{g.Key.Difficulty}: {g.Count()}"));
            stdout.WriteLine($"{path}: {set.Count} prompts ({levels})");
        }
        return CliProgram.ExitOk;
    }

    private static PromptRecord WithCanonical(PromptRecord p, string canonical)
    {
        var extra = new Dictionary<string, JsonElement>(p.Extra ?? new Dictionary<string, JsonElement>(), StringComparer.Ordinal)
        {
            [CanonicalField] = JsonSerializer.SerializeToElement(canonical),
        };
        return p with { Extra = extra };
    }
}
