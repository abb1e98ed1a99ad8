namespace Kimi.Actors.Tasks;

/// <summary>
/// A prompt-set file that cannot be loaded. The message reads
/// <c>prompts.jsonl:12: field 'difficulty': expected an integer 1..10, got "hard"</c>; without a field,
/// <c>prompts.jsonl:3: invalid JSON near byte 17</c>. Line 0 means the file as a whole (e.g. missing).
/// </summary>
public sealed class PromptSetException : Exception
{
    public PromptSetException(string filePath, int line, string? field, string detail, Exception? innerException = null)
        : base(Format(filePath, line, field, detail), innerException)
    {
        FilePath = filePath;
        Line = line;
        Field = field;
        Detail = detail;
    }

    public string FilePath { get; }

    /// <summary>1-based line number; 0 when the problem is the file itself.</summary>
    public int Line { get; }

    /// <summary>The offending field, or null when the line as a whole is bad.</summary>
    public string? Field { get; }

    /// <summary>The message without the location prefix.</summary>
    public string Detail { get; }

    private static string Format(string filePath, int line, string? field, string detail) =>
        field is null ? $"{filePath}:{line}: {detail}" : $"{filePath}:{line}: field '{field}': {detail}";
}
