namespace Kimi.Actors.Tasks;

/// <summary>The character set the policy's character tokenizer covers: printable ASCII (32..126) and '\n'.</summary>
public static class PromptText
{
    public static bool IsPolicyChar(char c) => c == '\n' || (c >= ' ' && c <= '~');

    public static bool IsPolicyText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
            if (!IsPolicyChar(c)) return false;
        return true;
    }
}
