using TorchSharp;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DType">The safetensors dtype name, e.g. "F32" or "BF16".</param>
/// <param name="ScalarType">The matching TorchSharp element type.</param>
/// <param name="Shape">Dimensions; empty for a 0-dim (scalar) tensor.</param>
/// <param name="DataBegin">Start of the data, relative to the end of the header.</param>
/// <param name="DataEnd">End (exclusive) of the data, relative to the end of the header.</param>
public sealed record SafeTensorInfo(
    string Name,
    string DType,
    torch.ScalarType ScalarType,
    IReadOnlyList<long> Shape,
    long DataBegin,
    long DataEnd)
{
    public long ByteLength => DataEnd - DataBegin;
}
