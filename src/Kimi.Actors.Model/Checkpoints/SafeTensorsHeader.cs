namespace Kimi.Actors.Model.Checkpoints;

/// <summary>The parsed, validated header of a safetensors file.</summary>
/// <param name="Tensors">Every tensor, in the order of its data in the file.</param>
/// <param name="Metadata">The free-form "__metadata__" map; empty when the file has none.</param>
/// <param name="HeaderLength">N, the length in bytes of the JSON header including its padding.</param>
/// <param name="DataLength">Bytes of tensor data after the header.</param>
public sealed record SafeTensorsHeader(
    IReadOnlyList<SafeTensorInfo> Tensors,
    IReadOnlyDictionary<string, string> Metadata,
    long HeaderLength,
    long DataLength)
{
    /// <summary>Where the tensor data starts, from the beginning of the file.</summary>
    public long DataOffset => 8 + HeaderLength;

    /// <summary>The entry for <paramref name="name"/>, or null when the file has no such tensor.</summary>
    public SafeTensorInfo? Find(string name) => Tensors.FirstOrDefault(t => t.Name == name);
}
