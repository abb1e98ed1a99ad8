using System.Text;
using System.Text.Json;
using Kimi.Actors.Model.Generation;

namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>
/// Reads a chain-of-thought judge's output: reasoning lines, then one last line that is exactly the JSON object
/// <c>{"correct": true}</c> or <c>{"correct": false}</c> (spacing free). Anything else is incorrect with the reason:
/// an unfinished output, no verdict line, malformed JSON, a value that is not an object, a missing, repeated or
/// non-boolean "correct", any other key. Never throws; bounded on any text (the verdict line is capped before parsing).
/// </summary>
public static class CotVerdict
{
    /// <summary>Longest verdict line parsed; the shape allows about 20 characters.</summary>
    public const int MaxVerdictChars = 256;

    /// <summary>Characters of the reasoning kept in a reason.</summary>
    public const int MaxReasoningChars = 120;

    private const ModelJudgeKind Kind = ModelJudgeKind.ChainOfThought;

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 4, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    public static JudgeVerdict Parse(string output, StopReason stop)
    {
        output ??= "";
        if (stop != StopReason.Stop)
            return JudgeVerdict.Fail(Kind, $"unfinished output ({Describe(stop)}) after \"{Excerpt(output)}\"");
        var text = output.TrimEnd();
        if (text.Length == 0) return JudgeVerdict.Fail(Kind, "no verdict: empty output");
        int newline = text.LastIndexOf('\n');
        string reasoning = newline < 0 ? "" : text[..newline];
        string line = text[(newline + 1)..].Trim();
        if (!line.StartsWith('{')) return JudgeVerdict.Fail(Kind, $"no verdict: the last line is not a JSON object: \"{Excerpt(line)}\"");
        if (line.Length > MaxVerdictChars) return JudgeVerdict.Fail(Kind, $"malformed verdict: {line.Length} characters, more than {MaxVerdictChars}");

        JsonDocument document;
        try { document = JsonDocument.Parse(line, JsonOptions); }
        catch (JsonException e) { return JudgeVerdict.Fail(Kind, $"malformed verdict: {FirstSentence(e.Message)}: \"{Excerpt(line)}\""); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return JudgeVerdict.Fail(Kind, $"malformed verdict: {Name(root.ValueKind)}, not an object");
            bool? correct = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name != "correct") return JudgeVerdict.Fail(Kind, $"malformed verdict: unexpected key \"{Excerpt(property.Name)}\" (only \"correct\")");
                if (correct is not null) return JudgeVerdict.Fail(Kind, "malformed verdict: \"correct\" given twice");
                if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    return JudgeVerdict.Fail(Kind, $"malformed verdict: \"correct\" is {Name(property.Value.ValueKind)}, expected true or false");
                correct = property.Value.ValueKind == JsonValueKind.True;
            }
            if (correct is null) return JudgeVerdict.Fail(Kind, "malformed verdict: no \"correct\" key");
            string why = reasoning.Length > 0 ? $" ({Excerpt(reasoning)})" : " (no reasoning)";
            return new JudgeVerdict(correct.Value, $"{Kind.Name()}: {(correct.Value ? "correct" : "incorrect")}{why}");
        }
    }

    private static string Describe(StopReason stop) => stop switch
    {
        StopReason.MaxLength => "it reached the judge's reasoning limit",
        StopReason.Budget => "the token budget ran out",
        StopReason.Repeat => "it repeated itself",
        _ => stop.ToString().ToLowerInvariant(),
    };

    private static string Name(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "a " + kind.ToString().ToLowerInvariant(),
    };

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message.TrimEnd('.')).Trim();
    }

    /// <summary>At most <see cref="MaxReasoningChars"/> characters, the last ones, with line breaks as spaces and other control characters as '?', so a reason stays one printable line.</summary>
    internal static string Excerpt(string text)
    {
        var tail = text.Length > MaxReasoningChars ? text[^MaxReasoningChars..] : text;
        var sb = new StringBuilder(tail.Length + 3);
        if (tail.Length < text.Length) sb.Append("...");
        foreach (var c in tail) sb.Append(c is '\n' ? ' ' : char.IsControl(c) || char.IsSurrogate(c) ? '?' : c);
        return sb.ToString();
    }
}
