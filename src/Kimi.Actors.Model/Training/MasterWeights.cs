using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Training;

/// <summary>
/// float32 master copies of a bf16 (or fp16) model's parameters. The optimizer steps on the masters; the model gets
/// them rounded back after each step. It pays whenever updates are small against the weights: bf16 keeps 8 bits of
/// mantissa, so an update below half a unit in the last place (lr x gradient under ~0.4% of the weight) is rounded
/// away in a bf16 parameter but accumulates in its master. The masters cost 4 bytes per parameter (plus the
/// optimizer's state, which lives on them in float32 too).
/// </summary>
public sealed class MasterWeights : IDisposable
{
    private readonly (Parameter Model, Parameter Master)[] _pairs;

    public MasterWeights(nn.Module model)
    {
        using var noGrad = no_grad();
        _pairs = model.parameters().Select(p => (p, new Parameter(p.detach().to_type(ScalarType.Float32).clone(), p.requires_grad))).ToArray();
    }

    /// <summary>The float32 parameters to give the optimizer, in the model's parameter order.</summary>
    public IReadOnlyList<Parameter> Parameters => _pairs.Select(p => p.Master).ToArray();

    /// <summary>After backward on the model: each master's gradient is its parameter's, in float32 (model gradients cleared).</summary>
    public void CopyGradientsFromModel()
    {
        using var noGrad = no_grad();
        foreach (var (model, master) in _pairs)
        {
            if (model.grad is not { } g) { master.grad = null; continue; }
            if (master.grad is { } mg) mg.copy_(g);
            else master.grad = g.to_type(ScalarType.Float32).detach();
            model.grad = null;
        }
    }

    /// <summary>After the optimizer's step: the model's parameters become the masters, rounded to the model's dtype.</summary>
    public void CopyToModel()
    {
        using var noGrad = no_grad();
        foreach (var (model, master) in _pairs) model.copy_(master);
    }

    public void Dispose()
    {
        foreach (var (_, master) in _pairs) master.Dispose();
    }
}
