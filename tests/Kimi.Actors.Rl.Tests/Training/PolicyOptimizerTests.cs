using Kimi.Actors.Rl.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Tests.Training;

public class PolicyOptimizerTests
{
    private static (Parameter Ours, Parameter Reference) Pair(long seed)
    {
        var g = new Generator((ulong)seed);
        var init = randn([5, 3], generator: g);
        return (new Parameter(init.clone()), new Parameter(init.clone()));
    }

    private static void Step(Parameter p, Tensor target)
    {
        var loss = (p - target).square().sum() + p.abs().sum() * 0.1;
        loss.backward();
    }

    [Fact]
    public void AdamW_matches_libtorchs_AdamW_step_for_step()
    {
        var (ours, reference) = Pair(1);
        var target = randn([5, 3], generator: new Generator(2UL));
        using var mine = PolicyOptimizer.AdamW([ours], 0.01, 0.9, 0.99, weightDecay: 0.05);
        var theirs = optim.AdamW([reference], 0.01, 0.9, 0.99, weight_decay: 0.05);
        for (int i = 0; i < 25; i++)
        {
            mine.ZeroGrad(); theirs.zero_grad();
            Step(ours, target); Step(reference, target);
            mine.Step(); theirs.step();
        }
        Assert.True(ours.allclose(reference, rtol: 1e-5, atol: 1e-6), $"max diff {(ours - reference).abs().max().item<float>()}");
    }

    [Fact]
    public void BackwardAndStep_clips_the_gradient_and_skips_a_step_whose_gradient_is_not_finite()
    {
        var p = new Parameter(tensor(new float[] { 1f, 2f }));
        using var sgd = PolicyOptimizer.Sgd([p], 1.0);
        // d/dp of sum(p * [30, 40]) is [30, 40], norm 50: clipped to norm 1 it is [0.6, 0.8], so one step of rate 1 moves p by that.
        double norm = sgd.BackwardAndStep((p * tensor(new float[] { 30f, 40f })).sum(), gradClip: 1.0);
        Assert.Equal(50, norm, 3);
        Assert.Equal(new[] { 0.4f, 1.2f }, p.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);

        // A gradient of infinity (an overflowed batch) leaves the weights as they were.
        sgd.ZeroGrad();
        bool ready = false;
        norm = sgd.BackwardAndStep((p * float.PositiveInfinity).sum(), gradClip: 1.0, gradientsReady: () => ready = true);
        Assert.False(double.IsFinite(norm));
        Assert.True(ready, "gradientsReady runs between backward and clipping");
        Assert.Equal(new[] { 0.4f, 1.2f }, p.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);

        // Without clipping the norm is still measured, and a non-finite one still skips the step.
        sgd.ZeroGrad();
        Assert.False(double.IsFinite(sgd.BackwardAndStep((p * float.NaN).sum(), gradClip: 0)));
        Assert.Equal(new[] { 0.4f, 1.2f }, p.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        sgd.ZeroGrad();
        Assert.Equal(5, sgd.BackwardAndStep((p * tensor(new float[] { 3f, 4f })).sum(), gradClip: 0), 4);
        Assert.Equal(new[] { -2.6f, -2.8f }, p.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Sgd_with_momentum_matches_libtorchs_SGD()
    {
        var (ours, reference) = Pair(3);
        var target = randn([5, 3], generator: new Generator(4UL));
        using var mine = PolicyOptimizer.Sgd([ours], 0.05, momentum: 0.9, weightDecay: 0.01);
        var theirs = optim.SGD([reference], 0.05, momentum: 0.9, weight_decay: 0.01);
        for (int i = 0; i < 25; i++)
        {
            mine.ZeroGrad(); theirs.zero_grad();
            Step(ours, target); Step(reference, target);
            mine.Step(); theirs.step();
        }
        Assert.True(ours.allclose(reference, rtol: 1e-5, atol: 1e-6), $"max diff {(ours - reference).abs().max().item<float>()}");
    }
}
