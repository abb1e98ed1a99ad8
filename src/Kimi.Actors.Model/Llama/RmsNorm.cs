using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Llama;

/// <summary>Root-mean-square layer norm (no mean subtraction, no bias), computed in float32 as Llama does.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Hugging Face parameter name
    private readonly Parameter weight;
#pragma warning restore IDE1006
    // Held for the module's lifetime: an implicitly converted Scalar can be finalised by the GC while
    // libtorch still reads it (TorchSharp passes its raw handle), which corrupts the call.
    private readonly Scalar _eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size));
        _eps = eps.ToScalar();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.square().mean([-1L], keepdim: true).add(_eps));
        return (weight * normed.to_type(x.dtype)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _eps.Dispose();
        base.Dispose(disposing);
    }
}
