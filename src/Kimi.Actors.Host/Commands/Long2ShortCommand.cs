using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Long2Short;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi long2short</c> (k1.5 §2.4): makes a long-CoT policy answer in fewer tokens by model merging, shortest
/// rejection sampling, DPO or long2short RL, and measures test-set accuracy and mean response tokens before and after
/// with the run's evaluation (the same suite, plan and seed as <c>kimi train</c> with the same configuration).
/// Writes <c>DIR/summary.json</c> and the new policy in <c>DIR/checkpoint</c>.
/// </summary>
public static class Long2ShortCommand
{
    public sealed record Arguments(Long2ShortMethod Method, string Checkpoint, string? Short, string Out, string? Device);

    public static Command Create()
    {
        var method = CliOptions.Text("--method", "METHOD", $"{string.Join(" | ", Long2ShortMethods.Allowed)}",
            m => Long2ShortMethods.TryParse(m, out _) ? null : $"expected one of {string.Join(", ", Long2ShortMethods.Allowed)}").Required();
        var checkpoint = CliOptions.Text("--checkpoint", "LONG", "the long-CoT policy: a checkpoint folder such as a run's checkpoints/final").Required();
        var shortPolicy = CliOptions.Text("--short", "SHORT", "merge only: the short-CoT policy of the same architecture to average with");
        var output = CliOptions.Text("--out", "DIR", "where summary.json and the new policy (DIR/checkpoint) go").Required();
        var device = CliOptions.Device("cpu, cuda, cuda:N or auto (default: kimi.run.device)", allowAuto: true);
        var layers = new ConfigLayerOptions();
        var command = new Command("long2short", "shorten a long-CoT policy's responses (merge, shortest-rs, dpo or rl) and measure test accuracy and " +
            "mean response tokens before and after; settings under kimi.long2short, tasks and evaluation as kimi train reads them")
        {
            method, checkpoint, shortPolicy, output, device, layers.Preset, layers.Config, layers.Set,
        };
        command.SetAction(r =>
        {
            Long2ShortMethods.TryParse(r.GetValue(method)!, out var m);
            var args = new Arguments(m, r.GetValue(checkpoint)!, r.GetValue(shortPolicy), r.GetValue(output)!, r.GetValue(device));
            return Run(args, layers.Load(r), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error);
        });
        return command;
    }

    public static int Run(Arguments args, Akka.Configuration.Config config, TextWriter stdout, TextWriter stderr)
    {
        if (args.Method == Long2ShortMethod.Merge && args.Short is null) throw new UsageException("long2short: --method merge needs --short SHORT");
        if (args.Method != Long2ShortMethod.Merge && args.Short is not null)
            throw new UsageException($"long2short: --short applies to --method merge only, not {args.Method.Name()}");
        var run = RunOptionsBinder.Bind(config);
        var options = Long2ShortOptionsBinder.Bind(config, run.Model);
        var deviceSpec = args.Device ?? run.Device;
        Device device;
        try { device = TorchRuntime.ResolveDevice(deviceSpec); }
        catch (ArgumentException e) { throw new UsageException($"long2short: --device {deviceSpec}: {e.Message}"); }
        TorchRuntime.SetThreads(run.Threads);
        var tokenizer = run.Tokenizer.Create();
        TaskSuite suite;
        try { suite = TaskSuite.Create(run.Tasks, run.Seed, tokenizer); }
        catch (ArgumentException e) { throw new ConfigException("kimi.tasks: " + e.Message); }
        var folder = Output.RunFolder.Prepare(args.Out);

        var wall = Stopwatch.StartNew();
        using var policy = Load(args.Checkpoint, device, tokenizer);
        // A short policy that cannot be merged is refused before any work.
        using var shortPolicy = args.Short is null ? null : Load(args.Short, device, tokenizer);
        if (shortPolicy is not null) WeightMerge.RequireSameArchitecture(policy.state_dict(), shortPolicy.state_dict(), args.Checkpoint, args.Short!);
        var plan = EvaluationPlan.Of(run);
        stderr.WriteLine($"long2short {args.Method.Name()}: {args.Checkpoint} ({policy.ParameterCount():N0} parameters on {device}), " +
            $"{suite.Test.Count} test prompts, writing {folder.Path}");

        HeldOutEvaluation before, after;
        object settings;
        if (args.Method == Long2ShortMethod.Rl)
        {
            var rlOptions = Long2ShortRl.Options(run, options.Rl) with { RunId = "long2short" };
            using var engine = new LocalRunEngine(rlOptions, suite, tokenizer, policy, new Progress(stderr));
            RunResult result;
            try { result = engine.Run(); }
            catch (RunFailedException e)
            {
                stderr.WriteLine($"kimi: long2short rl failed: {e.Message}");
                return CliProgram.ExitFailed;
            }
            (before, after) = (result.Sft, result.Rl);
            settings = new
            {
                iterations = options.Rl.Iterations, max_response_tokens = options.Rl.MaxResponseTokens,
                long_max_response_tokens = run.Rollout.MaxResponseTokens, length_penalty_weight = options.Rl.LengthPenaltyWeight,
                objective = Kimi.Actors.Rl.Objectives.ObjectiveKinds.Name(run.Optimization.Objective), learning_rate = run.Optimization.LearningRate,
                prompts_per_iteration = run.Rollout.PromptsPerIteration, samples_per_prompt = run.Rollout.SamplesPerPrompt,
            };
        }
        else
        {
            before = Evaluate(policy, suite, tokenizer, plan, "before", stderr);
            try
            {
                settings = args.Method switch
                {
                    Long2ShortMethod.Merge => Merge(policy, shortPolicy!, args, options.Merge),
                    Long2ShortMethod.ShortestRejectionSampling => ShortestRs(policy, suite, tokenizer, run, options, stderr),
                    _ => Dpo(policy, suite, tokenizer, run, options, stderr),
                };
            }
            catch (NothingToLearnException e)
            {
                stderr.WriteLine($"kimi: long2short {args.Method.Name()}: {e.Message}");
                return CliProgram.ExitFailed;
            }
            after = Evaluate(policy, suite, tokenizer, plan, "after", stderr);
        }

        var checkpoint = folder.File("checkpoint");
        PolicyCheckpoint.Save(checkpoint, policy, new Dictionary<string, string> { ["long2short"] = args.Method.Name(), ["from"] = args.Checkpoint });
        var summary = new Long2ShortSummary
        {
            Method = args.Method.Name(), LongCheckpoint = args.Checkpoint, ShortCheckpoint = args.Short, Seed = run.Seed,
            Metric = after.Primary.Mode, TestCount = suite.Test.Count, EvalMaxResponseTokens = run.Eval.MaxResponseTokens,
            Before = Long2ShortSummary.Side.Of(before), After = Long2ShortSummary.Side.Of(after), Settings = settings,
            WallSeconds = wall.Elapsed.TotalSeconds, Checkpoint = checkpoint,
        };
        File.WriteAllText(folder.File("summary.json"), JsonSerializer.Serialize(summary, Long2ShortSummary.Json) + "\n");
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"long2short {summary.Method}: test {summary.Metric} {summary.Before.Accuracy:F3} -> {summary.After.Accuracy:F3} " +
            $"({summary.After.Accuracy - summary.Before.Accuracy:+0.000;-0.000}), mean response tokens {summary.Before.MeanTokens:F1} -> " +
            $"{summary.After.MeanTokens:F1} ({summary.TokenChange:+0.0%;-0.0%})"));
        stdout.WriteLine($"written to {folder.Path}");
        return CliProgram.ExitOk;
    }

    private static LlamaForCausalLM Load(string directory, Device device, ITokenizer tokenizer)
    {
        var policy = PolicyCheckpoint.Load(directory, device);
        if (policy.Config.VocabSize != tokenizer.VocabSize)
        {
            policy.Dispose();
            throw new UsageException($"{directory}: vocab_size {policy.Config.VocabSize} does not match the run's tokenizer ({tokenizer.VocabSize})");
        }
        return policy;
    }

    private static HeldOutEvaluation Evaluate(LlamaForCausalLM policy, TaskSuite suite, ITokenizer tokenizer, EvaluationPlan plan, string when,
        TextWriter stderr)
    {
        var e = HeldOut.Evaluate(policy, suite.Test, tokenizer, plan);
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test {e.Primary.Mode} {when}: {e.Accuracy:F3}, mean response tokens {e.Primary.MeanResponseTokens:F1} ({e.Primary.Elapsed.TotalSeconds:F0} s)"));
        return e;
    }

    private static object Merge(LlamaForCausalLM policy, LlamaForCausalLM shortPolicy, Arguments args, MergeOptions merge)
    {
        WeightMerge.AverageInto(policy, policy, shortPolicy, merge.ShortWeight, args.Checkpoint, args.Short!);
        return new { short_weight = merge.ShortWeight };
    }

    private static IReadOnlyList<PromptSamples> Samples(LlamaForCausalLM policy, TaskSuite suite, ITokenizer tokenizer, RunOptions run,
        Long2ShortOptions options, double temperature, TextWriter stderr, int round = 0)
    {
        // Round 0 keeps the streams a single pass always drew from; later rounds draw other prompts and other samples.
        var rng = round == 0 ? Seeds.Random(run.Seed, Seeds.Long2Short) : Seeds.Random(run.Seed, Seeds.Long2Short, 100 + round);
        var prompts = suite.Train.OrderBy(_ => rng.Next()).Take(options.Sampling.Prompts).ToList();
        var settings = IterationState.RolloutSettingsOf(run) with { Temperature = temperature, TokenBudget = null };
        var sw = Stopwatch.StartNew();
        var samples = ResponseSampling.Sample(policy, prompts, tokenizer, options.Sampling.SamplesPerPrompt, settings,
            Seeds.Derive(run.Seed, Seeds.Long2Short, round == 0 ? 2 : 200 + round));
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sampled {options.Sampling.SamplesPerPrompt} responses for each of {prompts.Count} training prompts: " +
            $"{samples.Count(s => s.ShortestCorrect is not null)} with a correct one ({sw.Elapsed.TotalSeconds:F0} s)"));
        return samples;
    }

    private static object ShortestRs(LlamaForCausalLM policy, TaskSuite suite, ITokenizer tokenizer, RunOptions run, Long2ShortOptions options,
        TextWriter stderr)
    {
        // One value for sampling and for the summary, so the summary reports the temperature the samples were drawn at.
        double temperature = options.Sampling.ShortestRsTemperature;
        int roundCount = options.Sampling.ShortestRsRounds;
        var sft = options.ShortestRs;
        var rounds = new List<ShortestRsRound>();
        for (int round = 0; round < roundCount; round++)
        {
            var samples = Samples(policy, suite, tokenizer, run, options, temperature, stderr, round);
            var targets = ResponseSampling.ShortestCorrectTargets(samples);
            if (targets.Count == 0)
                throw new NothingToLearnException($"round {round + 1}: the policy answered none of the {samples.Count} sampled training prompts correctly");
            string label = roundCount == 1 ? "shortest-rs sft" : $"shortest-rs round {round + 1}/{roundCount} sft";
            var stats = ShortestRejectionSampling.Train(policy, targets, sft, round == 0 ? run.Seed : Seeds.Derive(run.Seed, Seeds.Long2Short, 300 + round),
                tokenizer.PadId,
                s => { if ((s.Step + 1) % 50 == 0) stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} {s.Step + 1}/{sft.Steps}: loss {s.Loss:F3}")); });
            var done = ShortestRsRound.Of(samples, targets, stats);
            rounds.Add(done);
            if (roundCount > 1)
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"shortest-rs round {round + 1}/{roundCount}: {done.Targets} targets of {done.MeanTargetTokens:F1} tokens " +
                    $"(correct samples {done.MeanCorrectTokens:F1}, all samples {done.MeanSampledTokens:F1}, {done.SampleAccuracy:P0} correct)"));
        }
        var first = rounds[0];
        return new
        {
            prompts = first.Prompts, samples_per_prompt = options.Sampling.SamplesPerPrompt, temperature,
            rounds = roundCount,
            // The first round's samples: the long policy's own, what its shortest correct responses are shorter than.
            targets = first.Targets, mean_target_tokens = first.MeanTargetTokens, mean_sampled_tokens = first.MeanSampledTokens,
            mean_correct_tokens = first.MeanCorrectTokens,
            sft_steps = sft.Steps, sequences_per_step = sft.SequencesPerStep, learning_rate = sft.LearningRate,
            final_loss = rounds[^1].FinalLoss,
            per_round = rounds,
        };
    }

    /// <summary>What one round of shortest-rs sampled and learned; snake_case like the rest of summary.json.</summary>
    private sealed record ShortestRsRound(
        [property: JsonPropertyName("prompts")] int Prompts,
        [property: JsonPropertyName("sample_accuracy")] double SampleAccuracy,
        [property: JsonPropertyName("targets")] int Targets,
        [property: JsonPropertyName("mean_target_tokens")] double MeanTargetTokens,
        [property: JsonPropertyName("mean_sampled_tokens")] double MeanSampledTokens,
        // Per prompt with a target, the mean length of its correct samples: what the target (the shortest of them) is shorter than.
        [property: JsonPropertyName("mean_correct_tokens")] double MeanCorrectTokens,
        [property: JsonPropertyName("final_loss")] double? FinalLoss)
    {
        public static ShortestRsRound Of(IReadOnlyList<PromptSamples> samples, IReadOnlyList<(int[] Prompt, int[] Response)> targets,
            IReadOnlyList<SftStepStats> stats) => new(
            samples.Count,
            Math.Round(samples.SelectMany(s => s.Responses).Average(r => r.Correct ? 1.0 : 0.0), 6),
            targets.Count,
            Math.Round(targets.Average(t => t.Response.Length), 3),
            Math.Round(samples.SelectMany(s => s.Responses).Average(r => r.Length), 3),
            Math.Round(samples.Where(s => s.ShortestCorrect is not null).Average(s => s.Responses.Where(r => r.Correct).Average(r => r.Length)), 3),
            // null when the round took no step: JSON has no NaN.
            stats.Count == 0 ? null : stats[^1].Loss);
    }

    private static object Dpo(LlamaForCausalLM policy, TaskSuite suite, ITokenizer tokenizer, RunOptions run, Long2ShortOptions options, TextWriter stderr)
    {
        double temperature = options.Sampling.Temperature;
        var samples = Samples(policy, suite, tokenizer, run, options, temperature, stderr);
        var dpo = options.Dpo;
        var pairs = ResponseSampling.PreferencePairs(samples, dpo.LengthRatio);
        stderr.WriteLine($"dpo: {pairs.Count} preference pairs");
        if (pairs.Count == 0)
            throw new NothingToLearnException($"no preference pair in {samples.Count} sampled training prompts (none with a correct response and a wrong longer one or a correct one {dpo.LengthRatio}x as long)");
        var stats = DpoTrainer.Train(policy, pairs, dpo, run.Seed,
            s => { if ((s.Step + 1) % 25 == 0) stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dpo {s.Step + 1}/{dpo.Steps}: loss {s.Loss:F3}, pairs ordered {s.Accuracy:F2}")); });
        return new
        {
            prompts = samples.Count, samples_per_prompt = options.Sampling.SamplesPerPrompt, temperature,
            pairs = pairs.Count, beta = dpo.Beta, length_ratio = dpo.LengthRatio, steps = dpo.Steps, pairs_per_step = dpo.PairsPerStep,
            // null when no step was taken: JSON has no NaN.
            learning_rate = dpo.LearningRate, final_loss = stats.Count == 0 ? (double?)null : stats[^1].Loss,
            final_pair_accuracy = stats.Count == 0 ? (double?)null : stats[^1].Accuracy,
        };
    }

    /// <summary>The long policy's samples give the method nothing to learn from (no correct response, no pair).</summary>
    private sealed class NothingToLearnException(string message) : Exception(message);

    /// <summary>long2short RL's progress as plain lines.</summary>
    private sealed class Progress(TextWriter stderr) : ITrainingObserver
    {
        public void OnEvaluation(string label, int iteration, HeldOutEvaluation e) => stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test {e.Primary.Mode} {(label == LocalRunEngine.SftLabel ? "before" : "after")}: {e.Accuracy:F3}, mean response tokens {e.Primary.MeanResponseTokens:F1}"));

        public void OnIteration(IterationMetrics m)
        {
            if ((m.Iteration + 1) % 5 == 0)
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rl {m.Iteration + 1}: accuracy {m.Accuracy:F3}, length {m.ResponseLengthMean:F1}, length penalty {m.LengthPenaltyMean:F3}"));
        }
    }
}

/// <summary>long2short's summary.json.</summary>
public sealed record Long2ShortSummary
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>One side of the comparison: the primary metric's accuracy and mean response tokens, greedy beside them.</summary>
    public sealed record Side(
        [property: JsonPropertyName("accuracy")] double Accuracy,
        [property: JsonPropertyName("mean_tokens")] double MeanTokens,
        [property: JsonPropertyName("greedy_accuracy")] double GreedyAccuracy,
        [property: JsonPropertyName("greedy_mean_tokens")] double GreedyMeanTokens)
    {
        public static Side Of(HeldOutEvaluation e) => new(Math.Round(e.Accuracy, 6), Math.Round(e.Primary.MeanResponseTokens, 3),
            Math.Round(e.Greedy.Accuracy, 6), Math.Round(e.Greedy.MeanResponseTokens, 3));
    }

    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("checkpoint_long")] public required string LongCheckpoint { get; init; }
    [JsonPropertyName("checkpoint_short")] public string? ShortCheckpoint { get; init; }
    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("metric")] public required string Metric { get; init; }
    [JsonPropertyName("test_count")] public int TestCount { get; init; }
    [JsonPropertyName("eval_max_response_tokens")] public int EvalMaxResponseTokens { get; init; }
    [JsonPropertyName("before")] public required Side Before { get; init; }
    [JsonPropertyName("after")] public required Side After { get; init; }
    /// <summary>after.mean_tokens / before.mean_tokens − 1.</summary>
    [JsonPropertyName("token_change")] public double TokenChange => Before.MeanTokens == 0 ? 0 : Math.Round(After.MeanTokens / Before.MeanTokens - 1, 6);
    [JsonPropertyName("accuracy_change")] public double AccuracyChange => Math.Round(After.Accuracy - Before.Accuracy, 6);
    [JsonPropertyName("settings")] public required object Settings { get; init; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; init; }
    [JsonPropertyName("checkpoint")] public required string Checkpoint { get; init; }
}
