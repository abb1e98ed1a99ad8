using Kimi.Actors.Model.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Optimization;

/// <summary>Whether an optimizer steps on float32 master copies of the model's parameters (<see cref="MasterWeights"/>).</summary>
public enum MasterWeightsMode
{
    /// <summary>Masters when the model's parameters are not float32 (bf16 or fp16 weights).</summary>
    Auto,
    On,
    Off,
}

/// <summary>
/// The parameters an optimizer updates for a model: the model's own, or float32 masters of them. With masters, gradients
/// move to the masters after backward and the model gets the masters (rounded to its dtype) after each step, so small
/// updates of a bf16 model accumulate instead of rounding away.
/// </summary>
public sealed class TrainableWeights : IDisposable
{
    private readonly nn.Module _model;
    private readonly MasterWeights? _masters;

    public TrainableWeights(nn.Module model, MasterWeightsMode mode)
    {
        _model = model;
        bool lowPrecision = model.parameters().Any(p => p.dtype != ScalarType.Float32);
        if (mode == MasterWeightsMode.On || (mode == MasterWeightsMode.Auto && lowPrecision)) _masters = new MasterWeights(model);
    }

    public bool UsesMasters => _masters is not null;

    /// <summary>What the optimizer and the gradient clip work on.</summary>
    public IReadOnlyList<Parameter> Parameters => _masters?.Parameters ?? _model.parameters().ToArray();

    /// <summary>After the backward passes of a step, before clipping: gradients on <see cref="Parameters"/>.</summary>
    public void GradientsReady() => _masters?.CopyGradientsFromModel();

    /// <summary>After the optimizer's step: the model holds the updated weights.</summary>
    public void Stepped() => _masters?.CopyToModel();

    public void Dispose() => _masters?.Dispose();
}
