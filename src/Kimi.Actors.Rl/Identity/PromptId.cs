namespace Kimi.Actors.Rl.Identity;

/// <summary>
/// A prompt's id within its prompt set (the <c>id</c> field of a prompt-set line, or a generated <c>sum-d1-000003</c>).
/// Any non-empty text without control characters, up to 200 characters.
/// </summary>
public readonly record struct PromptId : IComparable<PromptId>
{
    public const int MaxLength = 200;

    public string Value { get; }

    public PromptId(string value)
    {
        if (string.IsNullOrEmpty(value)) throw new ArgumentException("a prompt id must not be empty");
        if (value.Length > MaxLength) throw new ArgumentException($"prompt id '{value[..40]}...' is longer than {MaxLength} characters");
        if (value.Any(char.IsControl)) throw new ArgumentException($"prompt id '{value}' contains a control character");
        Value = value;
    }

    public override string ToString() => Value ?? "";

    public int CompareTo(PromptId other) => string.CompareOrdinal(Value, other.Value);
}
