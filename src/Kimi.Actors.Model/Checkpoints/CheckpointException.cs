namespace Kimi.Actors.Model.Checkpoints;

/// <summary>
/// A checkpoint that cannot be read: truncated, malformed header, or data that does not match the header.
/// The message always starts with the file (or stream source name) and, where one is to blame, the tensor or
/// header field.
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string source, string? field, string problem, Exception? inner = null)
        : base(Compose(source, field, problem), inner)
    {
        CheckpointSource = source;
        Field = field;
    }

    /// <summary>The file path, or the name given for a stream or byte buffer.</summary>
    public string CheckpointSource { get; }

    /// <summary>The tensor name or header field at fault, when there is one.</summary>
    public string? Field { get; }

    private static string Compose(string source, string? field, string problem) =>
        field is null ? $"{source}: {problem}" : $"{source}: {field}: {problem}";
}
