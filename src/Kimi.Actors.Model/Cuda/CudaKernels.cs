using Kimi.Actors.Model.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Cuda;

/// <summary>
/// The fused CUDA operations of the native shim (version 2 of native/kimi_cuda_graphs, loaded by <see cref="CudaGraphs"/>):
/// one-kernel sampling of a decode step, the training head's token log-probabilities and their gradient, libtorch's fused
/// AdamW and the multi-tensor gradient-norm clip. TorchSharp 0.107 reaches none of them: its per-tensor operations make a
/// decode step's sampling about ten passes over [rows, vocabulary] float32, the head's forward and backward about five,
/// and an optimizer step about eight kernel launches per parameter tensor. Each is used only where the shim has it
/// and the tensors are on CUDA; everything else takes the TorchSharp path, which stays the reference the kernels are
/// checked against (Kimi.Bench kernel-check). <c>KIMI_CUDA_KERNELS=off</c> turns them off (graphs stay on).
/// </summary>
public static class CudaKernels
{
    public const string SwitchVariable = "KIMI_CUDA_KERNELS";

    private static readonly bool SwitchedOff =
        string.Equals(Environment.GetEnvironmentVariable(SwitchVariable), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether decode steps on CUDA sample in one kernel (top-p 1 only).</summary>
    public static bool Sampling => !SwitchedOff && CudaGraphs.Available && CudaGraphs.Native.Sample is not null;

    /// <summary>Whether training's token log-probabilities on CUDA run as the head kernels (forward and backward).</summary>
    public static bool Head => !SwitchedOff && CudaGraphs.Available && CudaGraphs.Native.HeadForward is not null;

    /// <summary>Whether AdamW steps and gradient clipping on CUDA run as libtorch's multi-tensor kernels.</summary>
    public static bool Optimizer => !SwitchedOff && CudaGraphs.Available && CudaGraphs.Native.AdamW is not null;

    /// <summary>"sampling, optimizer", or what is missing (for run summaries and benchmark reports).</summary>
    public static string Describe() =>
        SwitchedOff ? $"off ({SwitchVariable})"
        : !CudaGraphs.Available ? "none (" + CudaGraphs.Status + ")"
        : string.Join(", ", new[] { Sampling ? "sampling" : null, Head ? "token log-probs" : null, Optimizer ? "fused AdamW and clip" : null }.Where(s => s is not null)) is { Length: > 0 } d ? d
        : "none (the shim is version 1)";

    /// <summary>
    /// Samples every row of <paramref name="logits"/> [rows, vocab] (contiguous, CUDA): the token into
    /// <paramref name="ids"/> (int64, rows elements) and (token, log-prob under the untempered logits) into
    /// <paramref name="output"/> [2, rows] float32. <paramref name="rng"/> is int64 [2] (seed, counter) on the device; the
    /// counter advances by one per call, also inside a captured graph.
    /// </summary>
    public static void Sample(Tensor logits, Tensor temperature, Tensor rng, Tensor ids, Tensor output, bool greedy)
    {
        var fn = CudaGraphs.Native.Sample ?? throw new InvalidOperationException("CUDA kernels: the shim has no sampling kernel");
        CudaGraphs.Check(fn(logits.Handle, temperature.Handle, rng.Handle, ids.Handle, output.Handle, greedy ? 1 : 0), "sample_rows");
    }

    /// <summary>
    /// log_softmax(<paramref name="logits"/>)[targets] per row into <paramref name="logProbs"/>, and each row's log-sum-exp
    /// into <paramref name="logSumExp"/> (both float32 [rows]); logits [rows, vocab] contiguous on CUDA.
    /// </summary>
    public static void TokenLogProbs(Tensor logits, Tensor targets, Tensor logProbs, Tensor logSumExp)
    {
        var fn = CudaGraphs.Native.HeadForward ?? throw new InvalidOperationException("CUDA kernels: the shim has no head kernels");
        CudaGraphs.Check(fn(logits.Handle, targets.Handle, logProbs.Handle, logSumExp.Handle), "token log-probs");
    }

    /// <summary>The gradient of <see cref="TokenLogProbs"/>: grad[r] * (onehot(targets[r]) - softmax(logits[r])) into <paramref name="gradLogits"/>.</summary>
    public static void TokenLogProbsBackward(Tensor logits, Tensor targets, Tensor logSumExp, Tensor grad, Tensor gradLogits)
    {
        var fn = CudaGraphs.Native.HeadBackward ?? throw new InvalidOperationException("CUDA kernels: the shim has no head kernels");
        CudaGraphs.Check(fn(logits.Handle, targets.Handle, logSumExp.Handle, grad.Handle, gradLogits.Handle), "token log-probs backward");
    }

    /// <summary>One AdamW step over tensors of one dtype and device; <paramref name="step"/> counts this one.</summary>
    public static void AdamW(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> expAvgs, IReadOnlyList<Tensor> expAvgSqs,
        double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        var fn = CudaGraphs.Native.AdamW ?? throw new InvalidOperationException("CUDA kernels: the shim has no fused AdamW");
        int n = parameters.Count;
        if (grads.Count != n || expAvgs.Count != n || expAvgSqs.Count != n) throw new ArgumentException("AdamW: the four tensor lists differ in length");
        CudaGraphs.Check(fn(Handles(parameters), Handles(grads), Handles(expAvgs), Handles(expAvgSqs), n, lr, beta1, beta2, eps, weightDecay, step), "fused AdamW");
    }

    /// <summary>The total 2-norm of <paramref name="grads"/>; with <paramref name="maxNorm"/> &gt; 0 they are scaled to at most it.</summary>
    public static double ClipGradNorm(IReadOnlyList<Tensor> grads, double maxNorm)
    {
        var fn = CudaGraphs.Native.Clip ?? throw new InvalidOperationException("CUDA kernels: the shim has no gradient clip");
        CudaGraphs.Check(fn(Handles(grads), grads.Count, maxNorm, out double norm), "clip_grad_norm");
        return norm;
    }

    private static IntPtr[] Handles(IReadOnlyList<Tensor> tensors) => tensors.Select(t => t.Handle).ToArray();
}
