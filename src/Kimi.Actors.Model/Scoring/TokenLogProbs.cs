using Kimi.Actors.Model.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Scoring;

/// <summary>
/// log_softmax(logits)[target] per row as one autograd operation. On CUDA with the shim's head kernels
/// (<see cref="CudaKernels.Head"/>) forward and backward are one kernel each, reading the logits in their own dtype and
/// never materialising [rows, vocabulary] in float32; elsewhere it is the float32 log-sum-exp and gather it replaces
/// (the reference the kernels are checked against).
/// </summary>
public static class TokenLogProbs
{
    /// <param name="logits">[rows, vocab]</param>
    /// <param name="targets">[rows] int64</param>
    /// <returns>[rows] float32</returns>
    public static Tensor Of(Tensor logits, Tensor targets)
    {
        if (logits.device_type == DeviceType.CUDA && CudaKernels.Head) return HeadFunction.apply(logits.contiguous(), targets.contiguous());
        var logits32 = logits.to_type(ScalarType.Float32);
        return logits32.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - logits32.logsumexp(-1);
    }

    private sealed class HeadFunction : autograd.SingleTensorFunction<HeadFunction>
    {
        public override string Name => nameof(TokenLogProbs);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (logits, targets) = ((Tensor)vars[0], (Tensor)vars[1]);
            long rows = logits.shape[0];
            var logProbs = empty([rows], dtype: ScalarType.Float32, device: logits.device);
            var lse = empty([rows], dtype: ScalarType.Float32, device: logits.device);
            CudaKernels.TokenLogProbs(logits, targets, logProbs, lse);
            ctx.save_for_backward([logits, targets, lse]);
            return logProbs;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            var (logits, targets, lse) = (saved[0], saved[1], saved[2]);
            var gradLogits = empty_like(logits);
            CudaKernels.TokenLogProbsBackward(logits, targets, lse, gradOutput.to_type(ScalarType.Float32).contiguous(), gradLogits);
            return [gradLogits, null!];
        }
    }
}
