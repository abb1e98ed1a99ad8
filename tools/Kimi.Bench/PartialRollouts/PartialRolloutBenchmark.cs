using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;
using TorchSharp;

namespace Kimi.Bench.PartialRollouts;

/// <summary>
/// Partial rollouts against whole-iteration rollouts on a heavy-tailed workload: most prompts need a short response,
/// a few need many times the median. Both modes run the same in-process iterations (plan → generate → judge → train
/// complete groups) on the same policy initialisation and prompts until the same number of tokens has trained;
/// the figure of merit is trained tokens per second of wall time, with / without.
/// </summary>
/// <remarks>
/// Response lengths are the workload's, not the model's: each (prompt, sample) gets a length from the distribution
/// and the request is capped there with no stop token, so both modes decode exactly the same lengths. What differs
/// is only the schedule: without a budget every iteration waits for its longest response; with one, long responses
/// are cut and resumed while fresh prompts keep the batch full.
/// </remarks>
public static class PartialRolloutBenchmark
{
    public static Command Create()
    {
        var tokens = CliOptions.Int("--tokens", "N", "trained tokens per mode", min: 1, defaultValue: 60_000);
        var budget = CliOptions.Int("--budget", "N", "output tokens per iteration with partial rollouts (default: 5/4 x prompts x samples x median)", min: 1);
        var prompts = CliOptions.Int("--prompts-per-iteration", "N", "prompts per iteration", min: 1, defaultValue: 16);
        var samples = CliOptions.Int("--samples", "N", "samples per prompt", min: 1, defaultValue: 4);
        var median = CliOptions.Int("--median", "N", "median response length in tokens", min: 1, defaultValue: 24);
        var tailPct = CliOptions.Int("--tail-fraction-pct", "N", "percent of prompts that need long responses", min: 1, defaultValue: 8);
        var tailFactor = CliOptions.Int("--tail-factor", "N", "a long response's length over the median", min: 1, defaultValue: 8);
        // Trainer settings default to hocon/kimi.conf's (what `kimi train` runs).
        var epochs = CliOptions.Int("--epochs", "N", "passes over each iteration's groups", min: 1, defaultValue: 4);
        var microBatch = CliOptions.Int("--micro-batch", "N", "samples per micro-batch", min: 1, defaultValue: 64);
        var device = CliOptions.Device("cpu, cuda, cuda:N or auto", defaultValue: "cpu", allowAuto: true);
        var threads = CliOptions.Int("--threads", "N", "CPU threads for TorchSharp", min: 1, defaultValue: Math.Max(1, Environment.ProcessorCount));
        var seed = CliOptions.Int("--seed", "N", "seed of the workload and the model", min: 1, defaultValue: 1);
        var json = CliOptions.Text("--json", "FILE", "also write the results as JSON");
        var command = new Command("partial-rollouts",
            "trained tokens/s with and without partial rollouts on a heavy-tailed response-length workload")
        {
            tokens, budget, prompts, samples, median, tailPct, tailFactor, epochs, microBatch, device, threads, seed, json,
        };
        command.SetAction(r => Run(new Settings(r.GetValue(tokens), r.GetValue(budget), r.GetValue(prompts), r.GetValue(samples),
            r.GetValue(median), r.GetValue(tailPct), r.GetValue(tailFactor), r.GetValue(epochs), r.GetValue(microBatch), r.GetValue(device)!,
            r.GetValue(threads), r.GetValue(seed), r.GetValue(json))));
        return command;
    }

    private sealed record Settings(int TargetTokens, int? Budget, int Prompts, int Samples, int Median, int TailPct, int TailFactor,
        int Epochs, int MicroBatch, string Device, int Threads, int Seed, string? JsonPath);

    private sealed record Workload(int Median, double TailFraction, int TailFactor, int MaxLength, long Seed)
    {
        /// <summary>Length of one (prompt, sample): short around the median, or a tail response of about TailFactor × median.</summary>
        public int LengthOf(PromptId promptId, int sample)
        {
            long index = long.Parse(promptId.Value.AsSpan(1), CultureInfo.InvariantCulture);
            var rng = Seeds.Random(Seed, 77, index * 4096 + sample);
            // The tail is a property of the prompt (hard prompts need long reasoning), jittered per sample.
            var promptRng = Seeds.Random(Seed, 78, index);
            bool tail = promptRng.NextDouble() < TailFraction;
            double centre = tail ? Median * TailFactor : Median;
            int length = (int)Math.Round(centre * (0.75 + 0.5 * rng.NextDouble()));
            return Math.Clamp(length, 1, MaxLength);
        }
    }

    private static int Run(Settings settings)
    {
        var (targetTokens, prompts, samples, median, tailPct, tailFactor) =
            (settings.TargetTokens, settings.Prompts, settings.Samples, settings.Median, settings.TailPct, settings.TailFactor);
        var (epochs, microBatch, deviceSpec, threads, seed, jsonPath) =
            (settings.Epochs, settings.MicroBatch, settings.Device, settings.Threads, settings.Seed, settings.JsonPath);
        int budget = settings.Budget ?? prompts * samples * median * 5 / 4;
        if (budget < prompts * samples)
            throw new UsageException($"partial-rollouts: --budget {budget} is below one token per response in flight ({prompts * samples})");

        TorchRuntime.SetThreads(threads);
        TorchSharp.torch.Device device;
        try { device = TorchRuntime.ResolveDevice(deviceSpec); }
        catch (ArgumentException e) { throw new UsageException($"partial-rollouts: --device {deviceSpec}: {e.Message}"); }
        var tokenizer = CharTokenizer.Instance;
        int maxLength = Math.Min(median * tailFactor * 3 / 2, 400);
        var model = tokenizer.Apply(new ModelConfig
        {
            HiddenSize = 128, IntermediateSize = 344, NumHiddenLayers = 4, NumAttentionHeads = 4, NumKeyValueHeads = 2,
            MaxPositionEmbeddings = maxLength + 16,
        });
        var workload = new Workload(median, tailPct / 100.0, tailFactor, maxLength, seed);
        var promptSet = Enumerable.Range(0, 5000)
            .Select(i => new PromptRecord($"q{i}", $"Q{i % 1000}:", "0", "arithmetic", 1, [])).ToList();

        RunOptions Options(long? tokenBudget) => new()
        {
            Seed = seed, Model = model,
            Rollout = new RolloutOptions
            {
                PromptsPerIteration = prompts, SamplesPerPrompt = samples, Temperature = 1.0, MaxResponseTokens = maxLength,
                TokenBudget = tokenBudget,
            },
            Optimization = new PolicyOptimizationOptions { LearningRate = 3e-5, Epochs = epochs, MicroBatchSamples = microBatch },
        };

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"partial rollouts: {prompts} prompts x {samples} samples per iteration, lengths ~{median} ({100 - tailPct}%) and ~{median * tailFactor} ({tailPct}%), max {maxLength}; budget {budget} tokens/iteration; {targetTokens:N0} trained tokens per mode; {epochs} epochs, micro-batch {microBatch}; device {device}, {threads} threads"));
        // Warm-up (JIT, allocator, libtorch kernels) on both paths, then the measured runs.
        Measure("warm-up", Options(null), model, promptSet, workload, tokenizer, targetTokens / 20, seed, device);
        Measure("warm-up", Options(budget), model, promptSet, workload, tokenizer, targetTokens / 20, seed, device);
        var without = Measure("without", Options(null), model, promptSet, workload, tokenizer, targetTokens, seed, device);
        var with = Measure("with", Options(budget), model, promptSet, workload, tokenizer, targetTokens, seed, device);
        double speedup = with.TrainedTokensPerSecond / without.TrainedTokensPerSecond;
        WriteTable(without, with);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"speedup (trained tokens/s, with / without): {speedup:F2}x"));

        if (jsonPath is not null)
        {
            var json = new JsonObject
            {
                ["benchmark"] = "partial-rollouts",
                ["speedup"] = Math.Round(speedup, 3),
                ["with"] = with.ToJson(),
                ["without"] = without.ToJson(),
                ["workload"] = new JsonObject
                {
                    ["prompts_per_iteration"] = prompts, ["samples_per_prompt"] = samples, ["median_length"] = median,
                    ["tail_fraction"] = tailPct / 100.0, ["tail_factor"] = tailFactor, ["max_length"] = maxLength,
                    ["token_budget"] = budget, ["target_trained_tokens"] = targetTokens, ["epochs"] = epochs, ["micro_batch_samples"] = microBatch,
                    ["device"] = device.ToString(), ["threads"] = threads, ["seed"] = seed,
                    ["model"] = $"{model.NumHiddenLayers} layers, hidden {model.HiddenSize}",
                },
            };
            File.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        return 0;
    }

    private sealed record ModeResult(string Mode, int Iterations, long TrainedTokens, double WallSeconds, double GenerationSeconds,
        double TrainSeconds, long GeneratedTokens, double MeanCutFraction, int Resumed, double SegmentsPerResponse, double MeanIterationSeconds,
        double MaxIterationSeconds, double GeneratorIdleFraction)
    {
        public double TrainedTokensPerSecond => WallSeconds > 0 ? TrainedTokens / WallSeconds : 0;

        public JsonObject ToJson() => new()
        {
            ["trained_tokens_per_s"] = Math.Round(TrainedTokensPerSecond, 1),
            ["trained_tokens"] = TrainedTokens, ["wall_seconds"] = Math.Round(WallSeconds, 3), ["iterations"] = Iterations,
            ["generation_seconds"] = Math.Round(GenerationSeconds, 3), ["train_seconds"] = Math.Round(TrainSeconds, 3),
            ["generated_tokens"] = GeneratedTokens, ["mean_cut_fraction"] = Math.Round(MeanCutFraction, 4), ["resumed"] = Resumed,
            ["segments_per_response"] = Math.Round(SegmentsPerResponse, 3),
            ["mean_iteration_seconds"] = Math.Round(MeanIterationSeconds, 3), ["max_iteration_seconds"] = Math.Round(MaxIterationSeconds, 3),
            ["generator_idle_fraction"] = Math.Round(GeneratorIdleFraction, 4),
        };
    }

    private static ModeResult Measure(string mode, RunOptions options, ModelConfig model, IReadOnlyList<PromptRecord> prompts,
        Workload workload, ITokenizer tokenizer, long targetTokens, long seed, TorchSharp.torch.Device device)
    {
        // The same initial weights in every mode; no stop token, so each response runs to its workload length.
        using var policy = new LlamaForCausalLM(model, seed);
        policy.to(device);
        var hooks = new LocalEngineHooks(
            ShapeRequest: r => r with { MaxResponseTokens = workload.LengthOf(r.PromptId, r.Sample) },
            Rollout: settings => settings with { StopTokens = [-1] });
        // The same iterations `kimi train --set kimi.run.engine=local` runs, without SFT or evaluations.
        using var engine = new LocalRunEngine(options, TaskSuite.Of(prompts, [], prompts.Take(1).ToList(), []), tokenizer, policy, hooks: hooks);
        var wall = Stopwatch.StartNew();
        var metrics = engine.RunIterations(done => done.Sum(m => m.TrainedTokens) >= targetTokens);
        long trained = metrics.Sum(m => m.TrainedTokens);
        double seconds = wall.Elapsed.TotalSeconds;
        var result = new ModeResult(mode, metrics.Count, trained, seconds, metrics.Sum(m => m.GenerationSeconds), metrics.Sum(m => m.TrainSeconds),
            (long)metrics.Sum(m => m.RolloutTokensPerSecond * m.GenerationSeconds), metrics.Average(m => m.CutFraction), metrics.Sum(m => m.Resumed),
            metrics.Where(m => m.Samples > 0).Select(m => m.SegmentsPerResponse).DefaultIfEmpty(1).Average(),
            metrics.Average(m => m.IterationSeconds), metrics.Max(m => m.IterationSeconds), metrics.Average(m => m.GeneratorIdleFraction));
        return result;
    }

    private static void WriteTable(params ModeResult[] results)
    {
        var c = CultureInfo.InvariantCulture;
        var console = ReportConsole.For(Console.Out);
        var table = console.NewTable("mode", "iterations", "trained tokens", "seconds", "tokens/s", "generation s", "training s",
            "mean / max iteration s", "cut");
        foreach (var r in results)
            table.AddTextRow(r.Mode, r.Iterations.ToString(c), r.TrainedTokens.ToString("N0", c), r.WallSeconds.ToString("F1", c),
                r.TrainedTokensPerSecond.ToString("F0", c), r.GenerationSeconds.ToString("F1", c), r.TrainSeconds.ToString("F1", c),
                string.Create(c, $"{r.MeanIterationSeconds:F2} / {r.MaxIterationSeconds:F2}"), r.MeanCutFraction.ToString("P0", c));
        console.Write(table);
    }
}
