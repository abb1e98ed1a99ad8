using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Optimization;

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// AdamW, or plain SGD (with momentum): Adam's first steps after a reset move every parameter by about
/// the learning rate whatever its gradient, which a sequence-level loss turns into large log-ratio jumps;
/// SGD's steps scale with the gradient.
/// </summary>
public enum OptimizerKind { AdamW, Sgd }

/// <summary>How the trainer turns one iteration's groups into optimizer steps.</summary>
public sealed record PolicyOptimizationOptions
{
    public ObjectiveKind Objective { get; init; } = ObjectiveKind.K15MirrorDescent;
    /// <summary>τ of the k1.5 loss: the strength of the pull towards the iteration's reference policy.</summary>
    public double Tau { get; init; } = 1.0;
    public LogProbReduction Reduction { get; init; } = LogProbReduction.Sum;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;
    public double LearningRate { get; init; } = 3e-5;
    /// <summary>How the learning rate moves over the run's iterations (<see cref="RlLearningRate"/>).</summary>
    public LearningRateSchedule LrSchedule { get; init; } = LearningRateSchedule.Constant;
    /// <summary>Iterations of linear warm-up to <see cref="LearningRate"/> (0: none).</summary>
    public int LrWarmupIterations { get; init; }
    /// <summary>Cosine: the rate at the run's last iteration, as a fraction of <see cref="LearningRate"/>.</summary>
    public double LrMinRatio { get; init; } = 0.1;
    /// <summary>SGD momentum (ignored by AdamW).</summary>
    public double Momentum { get; init; }
    public double WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Global gradient-norm clip; 0 disables.</summary>
    public double GradClip { get; init; } = 1.0;
    /// <summary>Passes over the iteration's groups.</summary>
    public int Epochs { get; init; } = 4;
    /// <summary>Optimizer steps per pass: the groups are split into this many mini-batches.</summary>
    public int MiniBatches { get; init; } = 1;
    /// <summary>Samples per forward/backward pass; gradients accumulate across micro-batches.</summary>
    public int MicroBatchSamples { get; init; } = 64;
    /// <summary>
    /// Padded tokens (samples × longest) per forward/backward pass instead of <see cref="MicroBatchSamples"/>; 0: by samples.
    /// Sizing by tokens keeps every pass near the same cost whatever the response lengths.
    /// </summary>
    public int MicroBatchTokens { get; init; }
    /// <summary>Padded tokens per pass of the no-grad reference pass (it keeps no activations, so it can run far larger); 0: as the micro-batches.</summary>
    public int ReferenceBatchTokens { get; init; }
    /// <summary>
    /// Take the reference log-probs of the first epoch's first mini-batch from its own training pass (scored before any
    /// optimizer step, so under the same weights) instead of a separate no-grad pass. Off in runs: with it on, the trainer's
    /// worker process died with SIGSEGV in both smoke runs on CI (cause not yet found); the GPU engine benchmark uses it.
    /// </summary>
    public bool ReferenceFromFirstPass { get; init; }
    /// <summary>Recompute each layer's activations in the backward pass instead of keeping them (memory for compute).</summary>
    public bool ActivationCheckpointing { get; init; }
    /// <summary>Fresh AdamW state every iteration, as in the report; false keeps it across iterations.</summary>
    public bool ResetOptimizerEachIteration { get; init; } = false;
    /// <summary>GRPO's ratio clip ε.</summary>
    public double Clip { get; init; } = 0.2;
    /// <summary>Which tokens of a response resumed across iterations (several policy versions) enter the loss.</summary>
    public SegmentSelection Segments { get; init; } = SegmentSelection.All;
    /// <summary>float32 master weights for the optimizer (auto: when the policy is bf16 or fp16).</summary>
    public MasterWeightsMode MasterWeights { get; init; } = MasterWeightsMode.Auto;

    public int StepsPerIteration => Epochs * MiniBatches;
}
