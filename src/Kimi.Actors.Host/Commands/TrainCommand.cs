using System.Diagnostics;
using System.Globalization;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Host.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary><c>kimi train</c>: warm-up SFT, then RL, then a before/after table and a run folder.</summary>
public static class TrainCommand
{
    public static int Run(ArgumentList args, TextWriter stdout, TextWriter stderr)
    {
        var preset = args.Value("--preset");
        var files = args.Values("--config");
        var overrides = args.Values("--set").ToList();
        var outDir = args.Value("--out");
        if (args.Int("--iterations") is { } iterations) overrides.Add($"kimi.run.iterations={iterations}");
        if (args.Value("--seed") is { } seed) overrides.Add($"kimi.run.seed={seed}");
        if (args.Value("--device") is { } device) overrides.Add($"kimi.run.device={device}");
        args.RejectRest();

        var config = KimiConfigLoader.Load(preset, files, overrides);
        var tokenizer = CharTokenizer.Instance;
        var options = RunOptionsBinder.Bind(config, tokenizer);
        var runId = $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        options = options with { RunId = runId };
        var folder = RunFolder.Prepare(outDir ?? Path.Combine(config.GetString("kimi.run.runs-dir"), runId));

        TorchRuntime.SetThreads(options.Threads);
        Device dev;
        try { dev = TorchRuntime.ResolveDevice(options.Device); }
        catch (ArgumentException e) { throw new ConfigException($"kimi.run.device = {options.Device}: {e.Message}"); }
        TaskSuite tasks;
        try { tasks = TaskSuite.Create(options.Tasks, options.Seed, tokenizer); }
        catch (ArgumentException e) { throw new ConfigException("kimi.tasks: " + e.Message); }

        using var policy = options.InitCheckpoint is { } init ? PolicyCheckpoint.Load(init, dev) : new LlamaForCausalLM(options.Model, options.Seed);
        policy.to(dev);
        stderr.WriteLine($"run {runId}: {policy.ParameterCount():N0}-parameter policy on {dev}, {tasks.Train.Count} training and {tasks.HeldOut.Count} held-out prompts, writing {folder.Path}");

        var wall = Stopwatch.StartNew();
        using var output = new RunOutputWriter(folder);
        var loop = new LocalTrainingLoop(options, policy, tasks, tokenizer, new ObserverGroup(new ConsoleProgress(stderr), output));
        var result = loop.Run();
        output.WriteCharts();

        var checkpoint = folder.File("checkpoints/final");
        PolicyCheckpoint.Save(checkpoint, policy, new Dictionary<string, string> { ["run_id"] = runId, ["iterations"] = options.Iterations.ToString(CultureInfo.InvariantCulture) });
        var summary = new RunSummary
        {
            RunId = runId, Engine = "local", Preset = preset, Seed = options.Seed, Iterations = options.Iterations,
            SftAccuracy = result.Sft.Accuracy, RlAccuracy = result.Rl.Accuracy, AccuracyMetric = result.Rl.Primary.Mode,
            HeldOutCount = result.Rl.Primary.Prompts,
            SftGreedyAccuracy = result.Sft.Greedy.Accuracy, RlGreedyAccuracy = result.Rl.Greedy.Accuracy,
            SftSampledAccuracy = result.Sft.Sampled.Accuracy, RlSampledAccuracy = result.Rl.Sampled.Accuracy,
            SftByDifficulty = RunSummary.ByDifficulty(result.Sft.Primary), RlByDifficulty = RunSummary.ByDifficulty(result.Rl.Primary),
            RlByDomain = RunSummary.ByDomain(result.Rl.Primary), Parameters = policy.ParameterCount(), Device = dev.ToString(),
            WallSeconds = wall.Elapsed.TotalSeconds, Checkpoint = checkpoint,
        };
        summary.Write(folder.File("summary.json"));
        WriteTable(stdout, result.Sft.Primary, result.Rl.Primary);
        if (result.Sft.PrimaryMetric == PrimaryMetric.Sampled)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  greedy: {result.Sft.Greedy.Accuracy:F3} after SFT, {result.Rl.Greedy.Accuracy:F3} after RL"));
        stdout.WriteLine($"run {runId} written to {folder.Path}");
        return 0;
    }

    private static void WriteTable(TextWriter w, EvaluationReport sft, EvaluationReport rl)
    {
        w.WriteLine();
        w.WriteLine($"held-out accuracy, {rl.Mode}");
        w.WriteLine("                              prompts   after SFT   after RL   change");
        foreach (var d in sft.ByDifficulty.Keys.Union(rl.ByDifficulty.Keys).Order())
        {
            var a = sft.ByDifficulty.GetValueOrDefault(d);
            var b = rl.ByDifficulty.GetValueOrDefault(d);
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  difficulty {d,-16} {(b?.Count ?? 0) * rl.Prompts / Math.Max(1, rl.Overall.Count),7}   {a?.Accuracy ?? 0,9:F3}   {b?.Accuracy ?? 0,8:F3}   {(b?.Accuracy ?? 0) - (a?.Accuracy ?? 0),+6:+0.000;-0.000}"));
        }
        foreach (var dom in sft.ByDomain.Keys.Union(rl.ByDomain.Keys).Order())
        {
            var a = sft.ByDomain.GetValueOrDefault(dom);
            var b = rl.ByDomain.GetValueOrDefault(dom);
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  domain {dom,-20} {(b?.Count ?? 0) * rl.Prompts / Math.Max(1, rl.Overall.Count),7}   {a?.Accuracy ?? 0,9:F3}   {b?.Accuracy ?? 0,8:F3}   {(b?.Accuracy ?? 0) - (a?.Accuracy ?? 0),+6:+0.000;-0.000}"));
        }
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"all",-27} {rl.Prompts,7}   {sft.Accuracy,9:F3}   {rl.Accuracy,8:F3}   {rl.Accuracy - sft.Accuracy,+6:+0.000;-0.000}"));
    }
}
