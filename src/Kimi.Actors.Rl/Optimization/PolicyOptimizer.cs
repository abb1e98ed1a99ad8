using Kimi.Actors.Model.Cuda;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Optimization;

/// <summary>
/// AdamW and SGD written against explicit, scoped <see cref="Scalar"/>s. TorchSharp's built-in optimizers
/// convert doubles to Scalars implicitly, and such a temporary can be finalised by the GC while libtorch
/// still reads its handle; over thousands of steps that corrupts a call now and then. On CUDA with the native shim
/// (<see cref="CudaKernels.Optimizer"/>), AdamW and the gradient clip run as libtorch's multi-tensor kernels, a handful of
/// launches per step instead of several per parameter tensor; these per-tensor operations are the reference they are
/// checked against.
/// </summary>
public abstract class PolicyOptimizer : IDisposable
{
    protected readonly Parameter[] Parameters;

    protected PolicyOptimizer(IEnumerable<Parameter> parameters, double learningRate)
    {
        Parameters = parameters.Where(p => p.requires_grad).ToArray();
        LearningRate = learningRate;
    }

    public double LearningRate { get; set; }

    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.grad?.zero_();
    }

    /// <summary>Applies one update from the current gradients (parameters without a gradient are skipped).</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        StepCore();
    }

    protected abstract void StepCore();

    /// <summary>
    /// The end of every training step (RL, warm-up SFT, DPO, the value-head judge): measures the gradient norm, clips it
    /// to <paramref name="gradClip"/> (0: no clipping) and steps unless the norm is not finite, so a batch whose gradient
    /// overflowed is skipped instead of written into the weights. Returns the norm before clipping: not finite when the
    /// step was skipped.
    /// </summary>
    public double ClipAndStep(double gradClip)
    {
        double norm = Fused ? FusedClip(gradClip) : gradClip > 0 ? nn.utils.clip_grad_norm_(Parameters, gradClip) : GradNorm();
        if (double.IsFinite(norm)) Step();
        return norm;
    }

    /// <summary>
    /// <see cref="ClipAndStep"/> after backpropagating <paramref name="loss"/> and running <paramref name="gradientsReady"/>
    /// (master weights take the model's gradients there): the whole step of a loop with one backward pass per step.
    /// </summary>
    public double BackwardAndStep(Tensor loss, double gradClip, Action? gradientsReady = null)
    {
        loss.backward();
        gradientsReady?.Invoke();
        return ClipAndStep(gradClip);
    }

    /// <summary>Whether this optimizer's steps and clips run as the shim's multi-tensor kernels.</summary>
    protected bool Fused => Parameters.Length > 0 && Parameters[0].device_type == DeviceType.CUDA && CudaKernels.Optimizer;

    private double FusedClip(double gradClip)
    {
        using var scope = NewDisposeScope();
        var grads = Parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        return CudaKernels.ClipGradNorm(grads, gradClip);
    }

    private double GradNorm()
    {
        // One reduction and one read for all parameters (a read per parameter syncs a GPU hundreds of times), in float32
        // whatever the parameters' dtype.
        using var scope = NewDisposeScope();
        var squares = Parameters.Where(p => p.grad is not null).Select(p => p.grad!.to_type(ScalarType.Float32).square().sum()).ToArray();
        return squares.Length == 0 ? 0 : Math.Sqrt(stack(squares).sum().item<float>());
    }

    public static PolicyOptimizer AdamW(IEnumerable<Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0.0) => new AdamWOptimizer(parameters, lr, beta1, beta2, eps, weightDecay);

    public static PolicyOptimizer Sgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0.0, double weightDecay = 0.0) =>
        new SgdOptimizer(parameters, lr, momentum, weightDecay);

    public virtual void Dispose() { }
}

/// <summary>AdamW (decoupled weight decay), with bias correction, as in PyTorch.</summary>
public sealed class AdamWOptimizer : PolicyOptimizer
{
    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private readonly Tensor?[] _m, _v;
    private long _step;

    internal AdamWOptimizer(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(parameters, lr)
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be >= 0");
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1)");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1)");
        (_beta1, _beta2, _eps, _weightDecay) = (beta1, beta2, eps, weightDecay);
        _m = new Tensor?[Parameters.Length];
        _v = new Tensor?[Parameters.Length];
    }

    protected override void StepCore()
    {
        _step++;
        if (Fused)
        {
            FusedStep();
            return;
        }
        double bc1 = 1 - Math.Pow(_beta1, _step), bc2 = 1 - Math.Pow(_beta2, _step);
        using var b1 = _beta1.ToScalar();
        using var oneMinusB1 = (1 - _beta1).ToScalar();
        using var b2 = _beta2.ToScalar();
        using var oneMinusB2 = (1 - _beta2).ToScalar();
        using var decay = (1 - LearningRate * _weightDecay).ToScalar();
        using var invSqrtBc2 = (1 / Math.Sqrt(bc2)).ToScalar();
        using var eps = _eps.ToScalar();
        using var stepSize = (-LearningRate / bc1).ToScalar();
        for (int i = 0; i < Parameters.Length; i++)
        {
            var p = Parameters[i];
            var g = p.grad;
            if (g is null) continue;
            var m = _m[i] ??= zeros_like(p).DetachFromDisposeScope();
            var v = _v[i] ??= zeros_like(p).DetachFromDisposeScope();
            if (_weightDecay != 0) p.mul_(decay);
            m.mul_(b1).add_(g, oneMinusB1);
            v.mul_(b2).addcmul_(g, g, oneMinusB2);
            var denom = v.sqrt().mul_(invSqrtBc2).add_(eps);
            p.addcdiv_(m, denom, stepSize);
        }
    }

    /// <summary>The same update as the loop above, one fused kernel per dtype (parameters without a gradient are skipped).</summary>
    private void FusedStep()
    {
        var live = Enumerable.Range(0, Parameters.Length).Select(i => (i, g: Parameters[i].grad)).Where(x => x.g is not null).ToList();
        foreach (var group in live.GroupBy(x => Parameters[x.i].dtype))
        {
            var members = group.ToList();
            var m = members.Select(x => _m[x.i] ??= zeros_like(Parameters[x.i]).DetachFromDisposeScope()).ToList();
            var v = members.Select(x => _v[x.i] ??= zeros_like(Parameters[x.i]).DetachFromDisposeScope()).ToList();
            CudaKernels.AdamW(members.Select(x => (Tensor)Parameters[x.i]).ToList(), members.Select(x => x.g!).ToList(), m, v,
                LearningRate, _beta1, _beta2, _eps, _weightDecay, _step);
        }
    }

    public override void Dispose()
    {
        foreach (var t in _m) t?.Dispose();
        foreach (var t in _v) t?.Dispose();
    }
}

/// <summary>SGD with optional momentum and (coupled) weight decay.</summary>
public sealed class SgdOptimizer : PolicyOptimizer
{
    private readonly double _momentum, _weightDecay;
    private readonly Tensor?[] _buffers;

    internal SgdOptimizer(IEnumerable<Parameter> parameters, double lr, double momentum, double weightDecay) : base(parameters, lr)
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be >= 0");
        (_momentum, _weightDecay) = (momentum, weightDecay);
        _buffers = new Tensor?[Parameters.Length];
    }

    protected override void StepCore()
    {
        using var negLr = (-LearningRate).ToScalar();
        using var mom = _momentum.ToScalar();
        using var wd = _weightDecay.ToScalar();
        for (int i = 0; i < Parameters.Length; i++)
        {
            var p = Parameters[i];
            var g = p.grad;
            if (g is null) continue;
            var d = _weightDecay != 0 ? g.add(p, wd) : g;
            if (_momentum != 0)
            {
                var buf = _buffers[i] ??= zeros_like(p).DetachFromDisposeScope();
                buf.mul_(mom).add_(d);
                d = buf;
            }
            p.add_(d, negLr);
        }
    }

    public override void Dispose()
    {
        foreach (var t in _buffers) t?.Dispose();
    }
}
