using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Cuda;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Bench.Engine;

/// <summary>
/// The GPU host's test of the native shim's fused kernels (<see cref="CudaKernels"/>), which CI (no GPU) cannot run:
/// the sampling kernel against argmax and log-softmax and, sampled, against softmax(l / T) by frequency over many rows;
/// its seeding and its counter inside a replayed CUDA graph; fused AdamW and the multi-tensor clip, through
/// <see cref="PolicyOptimizer"/> as the trainer calls them, against the same update computed in float64 on the host.
/// Exit 1 when any check fails (each is printed with its numbers and bound).
/// </summary>
public static class KernelCheck
{
    public static Command Create()
    {
        var device = CliOptions.Device("cuda or cuda:N", defaultValue: "cuda", allowAuto: false);
        var json = CliOptions.Text("--json", "FILE", "also write the checks as JSON");
        var command = new Command("kernel-check", "checks the native shim's sampling, AdamW and clip kernels against reference computations (CUDA)")
        {
            device, json,
        };
        command.SetAction(r => Run(r.GetValue(device)!, r.GetValue(json)));
        return command;
    }

    private sealed class Checks
    {
        private readonly JsonArray _rows = [];
        public int Failed { get; private set; }

        public void Add(string name, double value, double bound, bool pass, string detail = "")
        {
            if (!pass) Failed++;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(pass ? "ok  " : "FAIL")} {name}: {value:G6} (bound {bound:G6}){(detail.Length > 0 ? "; " + detail : "")}"));
            _rows.Add(new JsonObject { ["check"] = name, ["value"] = value, ["bound"] = bound, ["pass"] = pass, ["detail"] = detail });
        }

        public JsonArray Rows => _rows;
    }

    private static int Run(string deviceName, string? jsonPath)
    {
        Device device;
        try { device = TorchRuntime.ResolveDevice(deviceName); }
        catch (ArgumentException e) { throw new UsageException($"kernel-check: --device {deviceName}: {e.Message}"); }
        if (device.type != DeviceType.CUDA) throw new UsageException("kernel-check: --device must be a CUDA device");
        Console.WriteLine($"kernel-check on {device}: shim {CudaGraphs.Status}; kernels: {CudaKernels.Describe()}");
        if (!CudaKernels.Sampling || !CudaKernels.Optimizer || !CudaKernels.Head)
        {
            Console.Error.WriteLine($"kernel-check: the shim's kernels are not loaded ({CudaKernels.Describe()}); set {CudaGraphs.PathVariable}");
            return 1;
        }
        var checks = new Checks();
        using (no_grad())
        {
            Greedy(checks, device, ScalarType.BFloat16, 64, 151936);
            Greedy(checks, device, ScalarType.Float32, 64, 1001);
            foreach (var (dtype, vocab, t) in new[] { (ScalarType.Float32, 10, 1.0), (ScalarType.BFloat16, 16, 1.0), (ScalarType.BFloat16, 16, 0.7) })
                Distribution(checks, device, dtype, vocab, t);
            SeedsAndGraphs(checks, device);
        }
        Head(checks, device, ScalarType.BFloat16, 512, 151936, 1e-2);
        Head(checks, device, ScalarType.Float32, 64, 1001, 1e-5);
        Optimizer(checks, device, ScalarType.Float32, 1e-5);
        Optimizer(checks, device, ScalarType.BFloat16, 2e-2);
        Console.WriteLine(checks.Failed == 0 ? "kernel-check: all passed" : $"kernel-check: {checks.Failed} failed");
        if (jsonPath is not null)
            File.WriteAllText(jsonPath, new JsonObject
            {
                ["benchmark"] = "kernel-check", ["device"] = device.ToString(), ["shim"] = CudaGraphs.Status, ["kernels"] = CudaKernels.Describe(),
                ["failed"] = checks.Failed, ["checks"] = checks.Rows,
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return checks.Failed == 0 ? 0 : 1;
    }

    private static (Tensor Ids, Tensor Out) Outputs(long rows, Device device) =>
        (zeros([rows, 1], dtype: ScalarType.Int64, device: device), zeros([2, rows], dtype: ScalarType.Float32, device: device));

    private static Tensor Rng(long seed, Device device) => tensor(new long[] { seed, 0 }, device: device);

    /// <summary>Greedy: the chosen token holds the row's maximum, and its log-prob is log-softmax of the float32 logits.</summary>
    private static void Greedy(Checks checks, Device device, ScalarType dtype, long rows, long vocab)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(11);
        var logits = (randn([rows, vocab], generator: gen) * 3).to_type(dtype).to(device);
        var (ids, output) = Outputs(rows, device);
        using var temperature = ones([1], dtype: ScalarType.Float32, device: device);
        CudaKernels.Sample(logits, temperature, Rng(1, device), ids, output, greedy: true);
        var l32 = logits.to_type(ScalarType.Float32);
        var chosen = l32.gather(1, ids);
        var max = l32.max(1, keepdim: true).values;
        long notMax = chosen.ne(max).sum().item<long>();
        checks.Add($"greedy {dtype} [{rows}, {vocab}]: rows whose token is not the maximum", notMax, 0, notMax == 0);
        var reference = l32.log_softmax(1).gather(1, ids).squeeze(1);
        double err = (output.select(0, 1) - reference).abs().max().item<float>();
        checks.Add($"greedy {dtype} [{rows}, {vocab}]: |log-prob - log_softmax| max", err, 1e-3, err <= 1e-3);
        double idErr = (output.select(0, 0) - ids.squeeze(1).to_type(ScalarType.Float32)).abs().max().item<float>();
        checks.Add($"greedy {dtype}: out[0] equals ids", idErr, 0, idErr == 0);
    }

    /// <summary>
    /// Sampled: 262,144 rows of the same logits (one masked to -inf) drawn once each; every token's frequency within 0.005
    /// of softmax(l / T) (about 5 standard errors), the masked one never, and each log-prob the untempered log-softmax.
    /// </summary>
    private static void Distribution(Checks checks, Device device, ScalarType dtype, int vocab, double t)
    {
        using var scope = NewDisposeScope();
        const int rows = 262_144, masked = 3;
        var row = linspace(-2.0, 1.5, vocab, dtype: ScalarType.Float32);
        row[masked].fill_(float.NegativeInfinity);
        var stored = row.to_type(dtype).to_type(ScalarType.Float32);   // what the kernel reads
        var expected = (stored / t).softmax(0).to_type(ScalarType.Float64).data<double>().ToArray();
        var logits = stored.to_type(dtype).unsqueeze(0).expand(rows, vocab).contiguous().to(device);
        var (ids, output) = Outputs(rows, device);
        using var temperature = tensor(new[] { (float)t }, device: device);
        CudaKernels.Sample(logits, temperature, Rng(7, device), ids, output, greedy: false);
        var counts = ids.squeeze(1).bincount(null, vocab).cpu().data<long>().ToArray();
        double worst = Enumerable.Range(0, vocab).Max(k => Math.Abs(counts[k] / (double)rows - expected[k]));
        string label = $"sampled {dtype} V={vocab} T={t.ToString(CultureInfo.InvariantCulture)}";
        checks.Add($"{label}: max |frequency - softmax(l/T)|", worst, 0.005, worst <= 0.005,
            "frequencies " + string.Join(" ", counts.Select(n => (n / (double)rows).ToString("F4", CultureInfo.InvariantCulture))));
        checks.Add($"{label}: draws of the -inf token", counts[masked], 0, counts[masked] == 0);
        var logSoftmax = stored.log_softmax(0).to(device);
        double err = (output.select(0, 1) - logSoftmax.gather(0, ids.squeeze(1))).abs().max().item<float>();
        checks.Add($"{label}: |log-prob - untempered log_softmax| max", err, 1e-4, err <= 1e-4);
    }

    /// <summary>The same (seed, counter) draws the same tokens, the counter advances per call, and a replayed graph draws as eager calls do.</summary>
    private static void SeedsAndGraphs(Checks checks, Device device)
    {
        using var scope = NewDisposeScope();
        const long rows = 256, vocab = 151936;
        var logits = randn([rows, vocab], generator: new Generator(3)).to_type(ScalarType.BFloat16).to(device);
        using var temperature = ones([1], dtype: ScalarType.Float32, device: device);
        var rng = Rng(5, device);
        var (ids, output) = Outputs(rows, device);
        CudaKernels.Sample(logits, temperature, rng, ids, output, greedy: false);
        var first = ids.clone();
        CudaKernels.Sample(logits, temperature, rng, ids, output, greedy: false);
        var second = ids.clone();
        long counter = rng[1].item<long>();
        checks.Add("counter after two calls", counter, 2, counter == 2);
        double differ = first.ne(second).to_type(ScalarType.Float32).mean().item<float>();
        checks.Add("rows drawing another token at the next counter (fraction)", differ, 0.9, differ >= 0.9);
        rng.copy_(Rng(5, device));
        CudaKernels.Sample(logits, temperature, rng, ids, output, greedy: false);
        long sameSeed = ids.ne(first).sum().item<long>();
        checks.Add("rows that differ when the seed and counter are reset", sameSeed, 0, sameSeed == 0);

        using var graph = CudaGraphs.Capture(device.index < 0 ? 0 : device.index, () => CudaKernels.Sample(logits, temperature, rng, ids, output, greedy: false));
        rng.copy_(Rng(5, device));
        graph.Replay();
        long replayFirst = ids.ne(first).sum().item<long>();
        checks.Add("graph replay at counter 0: rows that differ from the eager call", replayFirst, 0, replayFirst == 0);
        graph.Replay();
        long replaySecond = ids.ne(second).sum().item<long>();
        checks.Add("second replay: rows that differ from the eager call at counter 1", replaySecond, 0, replaySecond == 0);
    }

    /// <summary>
    /// The training head (<see cref="Kimi.Actors.Model.Scoring.TokenLogProbs"/>, the kernels on CUDA) against the same
    /// log-probabilities and gradient through TorchSharp's float32 log-sum-exp and gather, on the same logits; the gradient's
    /// bound is relative to its largest element.
    /// </summary>
    private static void Head(Checks checks, Device device, ScalarType dtype, long rows, long vocab, double gradBound)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(31);
        var logits = (randn([rows, vocab], generator: gen) * 2).to_type(dtype).to(device);
        var targets = randint(0, vocab, [rows], generator: gen).to(device);
        var weights = randn([rows], generator: gen).to(device);
        using var grad = enable_grad();
        var fusedIn = logits.detach().clone().requires_grad_(true);
        var fused = Kimi.Actors.Model.Scoring.TokenLogProbs.Of(fusedIn, targets);
        (fused * weights).sum().backward();
        var refIn = logits.detach().clone().requires_grad_(true);
        var ref32 = refIn.to_type(ScalarType.Float32);
        var reference = ref32.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - ref32.logsumexp(-1);
        (reference * weights).sum().backward();
        double err = (fused.detach() - reference.detach()).abs().max().item<float>();
        checks.Add($"head {dtype} [{rows}, {vocab}]: |log-prob - float32 log-sum-exp path| max", err, 1e-4, err <= 1e-4);
        var g1 = fusedIn.grad!.to_type(ScalarType.Float32);
        var g2 = refIn.grad!.to_type(ScalarType.Float32);
        double gradErr = (g1 - g2).abs().max().item<float>() / g2.abs().max().item<float>();
        checks.Add($"head {dtype} [{rows}, {vocab}]: gradient max |difference| / max |reference|", gradErr, gradBound, gradErr <= gradBound);
    }

    /// <summary>
    /// Three AdamW steps (weight decay 0.1) through <see cref="PolicyOptimizer"/> on CUDA, the last with a clip below the
    /// gradient norm, against the same steps in float64 on the host; the error bound is relative to the largest parameter.
    /// </summary>
    private static void Optimizer(Checks checks, Device device, ScalarType dtype, double bound)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(21);
        long[][] shapes = [[37, 53], [1000], [151, 7], [896], [64, 64, 3]];
        var initial = shapes.Select(s => randn(s, generator: gen).to_type(dtype)).ToList();
        var parameters = initial.Select(t => new Parameter(t.to(device), requires_grad: true)).ToList();
        const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        using var optimizer = PolicyOptimizer.AdamW(parameters, lr, b1, b2, eps, wd);
        var p = initial.Select(t => t.to_type(ScalarType.Float64).data<double>().ToArray()).ToList();
        var m = p.Select(a => new double[a.Length]).ToList();
        var v = p.Select(a => new double[a.Length]).ToList();
        double reportedNorm = 0, referenceNorm = 0;
        for (int step = 1; step <= 3; step++)
        {
            // Gradients as the trainer gets them: a backward pass (here of sum(p * c), so grad = c exactly).
            var c = shapes.Select(s => (randn(s, generator: gen) * step).to_type(dtype)).ToList();
            optimizer.ZeroGrad();
            using (enable_grad())
            {
                var loss = parameters.Zip(c).Select(x => ((Tensor)x.Item1 * x.Item2.to(device)).to_type(ScalarType.Float32).sum()).Aggregate((a, b) => a + b);
                loss.backward();
            }
            var g = c.Select(t => t.to_type(ScalarType.Float64).data<double>().ToArray()).ToList();
            double norm = Math.Sqrt(g.Sum(a => a.Sum(x => x * x)));
            double clip = step == 3 ? norm / 4 : 0;
            double scale = clip > 0 ? Math.Min(1, clip / (norm + 1e-6)) : 1;
            reportedNorm = optimizer.ClipAndStep(clip);
            referenceNorm = norm;
            double bc1 = 1 - Math.Pow(b1, step), bc2 = 1 - Math.Pow(b2, step);
            for (int k = 0; k < p.Count; k++)
                for (int i = 0; i < p[k].Length; i++)
                {
                    double gi = g[k][i] * scale;
                    p[k][i] *= 1 - lr * wd;
                    m[k][i] = b1 * m[k][i] + (1 - b1) * gi;
                    v[k][i] = b2 * v[k][i] + (1 - b2) * gi * gi;
                    p[k][i] -= lr / bc1 * m[k][i] / (Math.Sqrt(v[k][i]) / Math.Sqrt(bc2) + eps);
                }
        }
        double largest = p.Max(a => a.Max(Math.Abs));
        double worst = 0;
        for (int k = 0; k < p.Count; k++)
        {
            var got = parameters[k].detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            for (int i = 0; i < got.Length; i++) worst = Math.Max(worst, Math.Abs(got[i] - p[k][i]));
        }
        checks.Add($"AdamW {dtype}, 3 steps, clip on the last: max |p - float64 reference| / max |p|", worst / largest, bound, worst / largest <= bound);
        double normErr = Math.Abs(reportedNorm - referenceNorm) / referenceNorm;
        checks.Add($"clip {dtype}: |norm - float64 norm| / norm", normErr, bound, normErr <= bound);
    }
}
