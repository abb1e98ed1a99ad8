using TorchSharp;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>Maps safetensors dtype names to TorchSharp scalar types.</summary>
internal static class SafeTensorsDType
{
    private sealed record Entry(string Name, torch.ScalarType Type, int Size, int Rank);

    // Rank follows the order of the reference implementation's Dtype enum ("increasing alignment order"):
    // the writer places higher ranks first so that every tensor's data stays aligned, as Python's writer does.
    private static readonly Entry[] Entries =
    [
        new("BOOL", torch.ScalarType.Bool, 1, 0),
        new("U8", torch.ScalarType.Byte, 1, 1),
        new("I8", torch.ScalarType.Int8, 1, 2),
        new("I16", torch.ScalarType.Int16, 2, 5),
        new("F16", torch.ScalarType.Float16, 2, 7),
        new("BF16", torch.ScalarType.BFloat16, 2, 8),
        new("I32", torch.ScalarType.Int32, 4, 9),
        new("F32", torch.ScalarType.Float32, 4, 11),
        new("F64", torch.ScalarType.Float64, 8, 12),
        new("I64", torch.ScalarType.Int64, 8, 13),
    ];

    private static readonly Dictionary<string, Entry> ByName = Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    private static readonly Dictionary<torch.ScalarType, Entry> ByType = Entries.ToDictionary(e => e.Type);

    public static bool TryFromName(string name, out torch.ScalarType type, out int elementSize)
    {
        if (ByName.TryGetValue(name, out var e))
        {
            (type, elementSize) = (e.Type, e.Size);
            return true;
        }
        (type, elementSize) = (default, 0);
        return false;
    }

    public static bool IsSupported(torch.ScalarType type) => ByType.ContainsKey(type);

    public static string Name(torch.ScalarType type) => ByType[type].Name;

    public static int Size(torch.ScalarType type) => ByType[type].Size;

    public static int AlignmentRank(torch.ScalarType type) => ByType[type].Rank;

    public static string SupportedNames => string.Join(", ", Entries.Select(e => e.Name));
}
