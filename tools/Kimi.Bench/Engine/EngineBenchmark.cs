using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Cuda;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Bench.Engine;

/// <summary>
/// The rollout and training engine on a Qwen2-0.5B-shaped model with random weights: decode tokens/s through
/// <see cref="BatchGenerator"/> (greedy and sampled, eager and CUDA-graph steps) and k1.5 training tokens/s through
/// <see cref="PolicyTrainer"/>. The PyTorch baseline (tools/gpu-baselines) runs in the same job on the same card and
/// writes its JSON; given <c>--baseline</c>, the ratios against it are reported beside the figures.
/// </summary>
public static class EngineBenchmark
{
    /// <summary>An H200's HBM3e bandwidth (bytes/s), for the fraction of the bandwidth limit at batch 1.</summary>
    private const double H200Bandwidth = 4.8e12;

    public static Command Create()
    {
        var device = CliOptions.Device("cpu, cuda, cuda:N or auto", defaultValue: "cpu", allowAuto: true);
        var shape = CliOptions.Text("--shape", "NAME", "qwen2-0.5b (494 M parameters) or tiny (the baseline script's CPU shape)", "qwen2-0.5b",
            v => v is "qwen2-0.5b" or "tiny" ? null : "expected qwen2-0.5b or tiny");
        var batches = CliOptions.Text("--batches", "LIST", "decode batch sizes, comma-separated", "1,16,64");
        var prompt = CliOptions.Int("--prompt-tokens", "N", "prompt length", min: 1, defaultValue: 128);
        var newTokens = CliOptions.Int("--new-tokens", "N", "new tokens per row", min: 1, defaultValue: 512);
        var graphs = CliOptions.Text("--graphs", "MODE", "decode steps: on (CUDA graphs where the shim loads), off, or both", "both",
            v => v is "on" or "off" or "both" ? null : "expected on, off or both");
        var train = CliOptions.Text("--train", "LIST", "training batches SAMPLESxTOKENS, comma-separated, or none", "8x640,32x640");
        var trainSteps = CliOptions.Int("--train-steps", "N", "measured training steps per batch", min: 1, defaultValue: 3);
        var microTokens = CliOptions.Int("--micro-batch-tokens", "N", "padded tokens per forward/backward pass", min: 1, defaultValue: 16384);
        var baseline = CliOptions.Text("--baseline", "FILE", "the PyTorch baseline's JSON (graph_baseline.json, train_baseline.json merged or either)");
        var trainBaseline = CliOptions.Text("--train-baseline", "FILE", "the PyTorch training baseline's JSON (train_baseline.json)");
        var json = CliOptions.Text("--json", "FILE", "also write the results as JSON");
        var anatomy = new Option<bool>("--anatomy") { Description = "also time each step of the scorer's vocabulary head apart (CUDA)" };
        var command = new Command("engine", "decode and training tokens/s of the engine on a Qwen2-0.5B-shaped model, with ratios to the PyTorch baseline")
        {
            device, shape, batches, prompt, newTokens, graphs, train, trainSteps, microTokens, baseline, trainBaseline, json, anatomy,
        };
        command.SetAction(r => Run(new Settings(r.GetValue(device)!, r.GetValue(shape)!, ParseList(r.GetValue(batches)!, "--batches"),
            r.GetValue(prompt), r.GetValue(newTokens), r.GetValue(graphs)!, ParseTrain(r.GetValue(train)!), r.GetValue(trainSteps),
            r.GetValue(microTokens), r.GetValue(baseline), r.GetValue(trainBaseline), r.GetValue(json), r.GetValue(anatomy))));
        return command;
    }

    private sealed record Settings(string Device, string Shape, int[] Batches, int PromptTokens, int NewTokens, string Graphs,
        (int Samples, int Tokens)[] Train, int TrainSteps, int MicroBatchTokens, string? Baseline, string? TrainBaseline, string? JsonPath,
        bool Anatomy = false);

    private static int[] ParseList(string text, string option) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
                : throw new UsageException($"engine: {option} {text}: '{s}' is not a positive integer")).ToArray();

    private static (int, int)[] ParseTrain(string text) => text == "none" ? [] :
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
        {
            var parts = s.Split('x');
            return parts.Length == 2 && int.TryParse(parts[0], out int b) && int.TryParse(parts[1], out int t) && b > 0 && t > 1 && b % 8 == 0
                ? (b, t) : throw new UsageException($"engine: --train {text}: '{s}' is not SAMPLESxTOKENS (samples a multiple of 8, tokens above 1)");
        }).ToArray();

    /// <summary>The baseline script's model: Qwen2-0.5B (fused shapes, tied embeddings) or its small CPU shape.</summary>
    private static ModelConfig Shape(string name, int positions) => name == "tiny"
        ? new ModelConfig
        {
            ModelType = "qwen2", Architectures = ["Qwen2ForCausalLM"], VocabSize = 1000, HiddenSize = 64, IntermediateSize = 128,
            NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = positions, RopeTheta = 1e6,
        }
        : new ModelConfig
        {
            ModelType = "qwen2", Architectures = ["Qwen2ForCausalLM"], VocabSize = 151936, HiddenSize = 896, IntermediateSize = 4864,
            NumHiddenLayers = 24, NumAttentionHeads = 14, NumKeyValueHeads = 2, MaxPositionEmbeddings = positions, RopeTheta = 1e6,
        };

    private static int Run(Settings s)
    {
        Device device;
        try { device = TorchRuntime.ResolveDevice(s.Device); }
        catch (ArgumentException e) { throw new UsageException($"engine: --device {s.Device}: {e.Message}"); }
        var c = CultureInfo.InvariantCulture;
        int positions = Math.Max(s.PromptTokens + s.NewTokens, s.Train.Select(t => t.Tokens).DefaultIfEmpty(0).Max()) + 64;
        var config = Shape(s.Shape, positions).Validate();
        var dtype = device.type == DeviceType.CUDA && TorchRuntime.SupportsBFloat16(device) ? ScalarType.BFloat16 : ScalarType.Float32;
        using var model = new LlamaForCausalLM(config, seed: 1);
        model.to(dtype);
        model.to(device);
        model.eval();
        long parameters = model.ParameterCount();
        long weightBytes = model.parameters().Sum(p => p.NumberOfElements * p.ElementSize);
        Console.WriteLine(string.Create(c, $"engine: {s.Shape}, {parameters:N0} parameters, {dtype}, {device}; CUDA graphs: {CudaGraphs.Status}; kernels: {CudaKernels.Describe()}"));

        var baseline = ReadRuns(s.Baseline);
        var results = new JsonArray();
        var console = ReportConsole.For(Console.Out);
        var table = console.NewTable("decode", "batch", "tokens/s", "ms/step", "steps ran", "PyTorch eager", "PyTorch graph", "× eager", "× graph");
        var modes = s.Graphs switch { "on" => new[] { true }, "off" => [false], _ => [false, true] };
        if (device.type != DeviceType.CUDA || !CudaGraphs.Available) modes = [false];
        var rng = new Random(7);
        foreach (int b in s.Batches)
        {
            var requests = Enumerable.Range(0, b)
                .Select(_ => new GenerationRequest(Enumerable.Range(0, s.PromptTokens).Select(_ => rng.Next(3, config.VocabSize)).ToArray()))
                .ToList();
            foreach (bool sampled in new[] { false, true })
                foreach (bool graphs in modes)
                {
                    // No stop token: every row decodes exactly NewTokens, as the baseline's loop does.
                    var options = new GenerationOptions
                    {
                        Temperature = sampled ? 1.0 : 0.0, MaxResponseTokens = s.NewTokens, StopTokens = [-1], MaxBatchSize = b, CudaGraphs = graphs, Seed = 3,
                    };
                    // Warm-up (kernels, allocator, graph capture at the measured capacity): a budget of a few steps.
                    BatchGenerator.Generate(model, requests, options with { TokenBudget = 8L * b });
                    if (device.type == DeviceType.CUDA) cuda.synchronize();
                    var run = BatchGenerator.Generate(model, requests, options);
                    if (device.type == DeviceType.CUDA) cuda.synchronize();
                    double tps = run.NewTokens / run.Elapsed.TotalSeconds, ms = 1000 * run.Elapsed.TotalSeconds / s.NewTokens;
                    string mode = sampled ? "sampled" : "greedy";
                    double? eager = Lookup(baseline, $"eager_{mode}_b{b}"), graph = Lookup(baseline, $"graph_{mode}_b{b}");
                    string label = $"{mode} ({(graphs ? "graphs on" : "graphs off")})";
                    table.AddTextRow(label, b.ToString(c), tps.ToString("F0", c), ms.ToString("F2", c), run.Decoding,
                        eager?.ToString("F0", c) ?? "-", graph?.ToString("F0", c) ?? "-",
                        eager is { } e ? (tps / e).ToString("F2", c) : "-", graph is { } g ? (tps / g).ToString("F2", c) : "-");
                    var row = new JsonObject
                    {
                        ["kind"] = "decode", ["sampling"] = mode, ["graphs_requested"] = graphs, ["decoding"] = run.Decoding, ["batch"] = b,
                        ["tokens_per_s"] = Math.Round(tps, 1), ["ms_per_step"] = Math.Round(ms, 3), ["new_tokens"] = run.NewTokens,
                        ["vs_pytorch_eager"] = eager is { } e2 ? Math.Round(tps / e2, 3) : null,
                        ["vs_pytorch_graph"] = graph is { } g2 ? Math.Round(tps / g2, 3) : null,
                    };
                    if (b == 1) row["bandwidth_fraction"] = Math.Round(weightBytes / (ms / 1000) / H200Bandwidth, 4);
                    results.Add(row);
                    Console.WriteLine(string.Create(c, $"  {label} b{b}: {tps:F0} tokens/s, {ms:F2} ms/step ({run.Decoding})"));
                }
        }
        console.Write(table);

        var trainBaseline = ReadTrain(s.TrainBaseline);
        foreach (var (samples, tokens) in s.Train)
        {
            var (tps, seconds, forward, optimizer, clipAndStep) = TrainTokensPerSecond(model, samples, tokens, s.PromptTokens, s.TrainSteps, s.MicroBatchTokens, device,
                s.Anatomy && device.type == DeviceType.CUDA);
            double? torchTps = Lookup(trainBaseline, $"b{samples}_t{tokens}");
            string versus = torchTps is { } t ? string.Create(c, $"; PyTorch eager {t:F0} tokens/s; ratio {tps / t:F2}") : "";
            Console.WriteLine(string.Create(c,
                $"train {samples} x {tokens}: {tps:F0} tokens/s ({seconds:F3} s/step, k1.5 loss, AdamW; of a step: a no-grad forward {forward:F3} s, the optimizer {optimizer:F3} s, clip and optimizer {clipAndStep:F3} s){versus}"));
            results.Add(new JsonObject
            {
                ["kind"] = "train", ["samples"] = samples, ["tokens"] = tokens, ["micro_batch_tokens"] = s.MicroBatchTokens,
                ["tokens_per_s"] = Math.Round(tps, 1), ["s_per_step"] = Math.Round(seconds, 4),
                ["forward_no_grad_s"] = Math.Round(forward, 4), ["optimizer_s"] = Math.Round(optimizer, 4), ["clip_and_optimizer_s"] = Math.Round(clipAndStep, 4),
                ["vs_pytorch"] = torchTps is { } t2 ? Math.Round(tps / t2, 3) : null,
            });
        }

        if (s.JsonPath is not null)
        {
            var json = new JsonObject
            {
                ["benchmark"] = "engine", ["shape"] = s.Shape, ["parameters"] = parameters, ["weight_bytes"] = weightBytes, ["dtype"] = dtype.ToString(),
                ["device"] = device.ToString(), ["cuda_graphs"] = CudaGraphs.Status, ["cuda_kernels"] = CudaKernels.Describe(), ["prompt_tokens"] = s.PromptTokens, ["new_tokens"] = s.NewTokens,
                ["results"] = results,
            };
            File.WriteAllText(s.JsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        return 0;
    }

    /// <summary>
    /// k1.5 training steps on groups of 8 random responses of <paramref name="tokens"/> - <paramref name="prompt"/> tokens
    /// (random 0/1 rewards, as the baseline), one optimizer step per call, bf16 weights without master weights (as the baseline).
    /// </summary>
    /// <remarks>
    /// Also times, apart, what a step is made of: one no-grad forward pass over the batch (as large micro-batches) and one
    /// AdamW step on the gradients the steps left; the rest of a step is the loss and the backward pass.
    /// </remarks>
    private static (double TokensPerSecond, double SecondsPerStep, double Forward, double Optimizer, double ClipAndStep) TrainTokensPerSecond(LlamaForCausalLM model,
        int samples, int tokens, int prompt, int steps, int microBatchTokens, Device device, bool anatomy)
    {
        var rng = new Random(11);
        int response = tokens - prompt;
        var groups = Enumerable.Range(0, samples / 8).Select(g =>
        {
            var promptTokens = Enumerable.Range(0, prompt).Select(_ => rng.Next(3, model.Config.VocabSize)).ToArray();
            var judged = Enumerable.Range(0, 8).Select(k =>
            {
                var ids = Enumerable.Range(0, response).Select(_ => rng.Next(3, model.Config.VocabSize)).ToArray();
                var t = new Trajectory(new TrajectoryId(new PromptId($"p{g}"), 0, k), ids, new float[response], Kimi.Actors.Model.Generation.StopReason.MaxLength,
                    [new Segment(0, response, 0)]);
                double reward = rng.Next(2);
                return new JudgedTrajectory(t, reward, reward > 0, "bench");
            }).ToList();
            double mean = judged.Average(j => j.Reward);
            return new TrainingGroup(new GroupKey(new PromptId($"p{g}"), 0), promptTokens, judged, judged.Select(j => j.Reward - mean).ToArray(), new double[8]);
        }).ToList();
        var options = new PolicyOptimizationOptions
        {
            LearningRate = 1e-6, Epochs = 1, MiniBatches = 1, MicroBatchTokens = microBatchTokens, MasterWeights = Kimi.Actors.Rl.Optimization.MasterWeightsMode.Off,
            ReferenceFromFirstPass = true,
        };
        using var trainer = new PolicyTrainer(model, options);
        trainer.Train(groups, new Random(1));
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) trainer.Train(groups, new Random(1));
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        double seconds = sw.Elapsed.TotalSeconds / steps;

        void Sync() { if (device.type == DeviceType.CUDA) cuda.synchronize(); }
        var items = groups.SelectMany(g => g.Samples.Select(j => (g.PromptTokens, j.Trajectory.ResponseTokens))).ToList();
        int rows = Math.Max(1, microBatchTokens / tokens);
        sw.Restart();
        using (no_grad())
            foreach (var chunk in items.Chunk(rows))
            {
                using var scope = NewDisposeScope();
                using var scored = Kimi.Actors.Model.Scoring.SequenceScorer.Score(model, chunk);
            }
        Sync();
        double forward = sw.Elapsed.TotalSeconds;
        if (anatomy)
        {
            HeadAnatomy(model, items, tokens, prompt);
            StepAnatomy(model, items, tokens);
        }
        using var adamw = Kimi.Actors.Rl.Optimization.PolicyOptimizer.AdamW(model.parameters(), 1e-6);
        adamw.Step();
        Sync();
        sw.Restart();
        for (int i = 0; i < steps; i++) adamw.Step();
        Sync();
        double optimizer = sw.Elapsed.TotalSeconds / steps;
        // The step the trainer takes: the gradient norm and clip (one host read), then the update.
        sw.Restart();
        for (int i = 0; i < steps; i++) adamw.ClipAndStep(1.0);
        Sync();
        double clipAndStep = sw.Elapsed.TotalSeconds / steps;
        return (samples * tokens / seconds, seconds, forward, optimizer, clipAndStep);
    }

    /// <summary>
    /// Each step of a no-grad scoring pass timed apart, repeated after a warm-up (CUDA): the whole
    /// <see cref="Kimi.Actors.Model.Scoring.SequenceScorer"/>, the decoder layers, and each step of the vocabulary head.
    /// </summary>
    private static void HeadAnatomy(LlamaForCausalLM model, List<(int[], int[])> items, int width, int prompt)
    {
        var device = model.parameters().First().device;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var dtype = model.parameters().First().dtype;
        int b = items.Count, resp = width - prompt, rows = b * resp;
        void Time(string what, Func<IDisposable> f)
        {
            f().Dispose();
            cuda.synchronize();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++) f().Dispose();
            cuda.synchronize();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {b} x {width}: {what}: {sw.Elapsed.TotalMilliseconds / 3:F2} ms"));
        }
        Time("SequenceScorer.Score (all of it)", () => Kimi.Actors.Model.Scoring.SequenceScorer.Score(model, items));
        var hidden = randn([rows, model.Config.HiddenSize], dtype: dtype, device: device);
        var target = randint(0, model.Config.VocabSize, [rows, 1], device: device);
        var ids = randint(3, model.Config.VocabSize, [b, width], device: device);
        var positions = arange(width, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(b, width);
        var h = model.Hidden(ids, positions, null);
        var pos = (arange(resp, dtype: ScalarType.Int64, device: device) + (prompt - 1)).unsqueeze(0).expand(b, resp).contiguous();
        var index = pos.unsqueeze(-1).expand(b, resp, h.shape[2]);
        Time("decoder layers", () => model.Hidden(ids, positions, null));
        Time("gather hidden at response positions", () => h.gather(1, index));
        var picked = h.gather(1, index);
        var logits3 = model.Logits(picked).to_type(ScalarType.Float32);
        var tgt3 = randint(0, model.Config.VocabSize, [b, resp, 1], device: device);
        Time("gather targets [b, resp, vocab]", () => logits3.gather(-1, tgt3));
        var logits = model.Logits(hidden);
        var logits32 = logits.to_type(ScalarType.Float32);
        Time("projection", () => model.Logits(hidden));
        Time("to float32", () => logits.to_type(ScalarType.Float32));
        Time("logsumexp float32", () => logits32.logsumexp(-1));
        Time("log_softmax float32 + gather", () => logits32.log_softmax(-1).gather(-1, target));
        Time("cross_entropy on bf16 logits (float32 inside)", () => nn.functional.cross_entropy(logits, target.squeeze(-1), reduction: nn.Reduction.None));
    }

    /// <summary>
    /// The phases of a training step timed apart (synchronised, mean of 3), as train_baseline.py times its own: the scored
    /// forward with a loss, its backward, and the decoder layers alone (no vocabulary head) forward and backward.
    /// </summary>
    private static void StepAnatomy(LlamaForCausalLM model, List<(int[], int[])> items, int width)
    {
        var device = model.parameters().First().device;
        model.train();
        double forward = 0, backward = 0, layersForward = 0, layersBackward = 0;
        double Timed(Action a)
        {
            cuda.synchronize();
            var sw = Stopwatch.StartNew();
            a();
            cuda.synchronize();
            return sw.Elapsed.TotalSeconds;
        }
        void ZeroGrad() { foreach (var p in model.parameters()) p.grad?.zero_(); }
        int b = items.Count;
        var ids = randint(3, model.Config.VocabSize, [b, width], device: device);
        var positions = arange(width, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(b, width);
        for (int i = 0; i < 4; i++)
        {
            using var scope = NewDisposeScope();
            Tensor? loss = null, h = null;
            double f = Timed(() =>
            {
                var scored = Kimi.Actors.Model.Scoring.SequenceScorer.Score(model, items);
                var seq = scored.LogProbs.sum(1);
                loss = (seq - seq.detach()).square().mean();
            });
            double bw = Timed(() => loss!.backward());
            ZeroGrad();
            double lf = Timed(() => h = model.Hidden(ids, positions, null).to_type(ScalarType.Float32).sum());
            double lb = Timed(() => h!.backward());
            ZeroGrad();
            if (i == 0) continue;   // the first is a warm-up
            forward += f / 3; backward += bw / 3; layersForward += lf / 3; layersBackward += lb / 3;
        }
        model.eval();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {b} x {width} step anatomy (ms): forward {forward * 1000:F1}, backward {backward * 1000:F1}, layers forward {layersForward * 1000:F1}, layers backward {layersBackward * 1000:F1}"));
    }

    /// <summary>The baseline's figure for a key, or null where the baseline did not run it.</summary>
    private static double? Lookup(Dictionary<string, double>? figures, string key) =>
        figures is not null && figures.TryGetValue(key, out double v) ? v : null;

    private static Dictionary<string, double>? ReadRuns(string? path)
    {
        if (path is null) return null;
        var runs = JsonNode.Parse(File.ReadAllText(path))?["runs"]?.AsObject() ?? throw new UsageException($"{path}: no \"runs\" object");
        return runs.ToDictionary(kv => kv.Key, kv => (double)kv.Value!["tokens_per_s"]!);
    }

    private static Dictionary<string, double>? ReadTrain(string? path)
    {
        if (path is null) return null;
        var train = JsonNode.Parse(File.ReadAllText(path))?["train"]?.AsObject() ?? throw new UsageException($"{path}: no \"train\" object");
        return train.ToDictionary(kv => kv.Key, kv => (double)kv.Value!["tokens_per_s"]!);
    }
}
