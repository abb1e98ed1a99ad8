using System.Text.Json.Nodes;
using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Model.Templates;

/// <summary>One turn of a conversation.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// A checkpoint's chat template (Jinja, from chat_template.jinja or tokenizer_config.json) rendered as transformers'
/// <c>apply_chat_template</c> renders it: the messages, <c>add_generation_prompt</c>, <c>tools</c> and <c>documents</c>
/// (none), the tokenizer's special tokens by name (<c>bos_token</c>, <c>eos_token</c>, ...), plus any extra variables
/// (e.g. <c>enable_thinking</c>). The rendered text already holds every special token, so it is tokenized without adding more.
/// </summary>
public sealed class ChatTemplate
{
    private readonly JinjaTemplate _template;
    private readonly Dictionary<string, object?> _specialTokens;

    public ChatTemplate(string source, IReadOnlyDictionary<string, string?> specialTokens)
    {
        Source = source;
        _template = JinjaTemplate.Parse(source);
        _specialTokens = specialTokens.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => (object?)p.Value);
    }

    public string Source { get; }

    /// <summary>The tokenizer's template with its special tokens, or null when the checkpoint has none.</summary>
    public static ChatTemplate? For(HfTokenizer tokenizer) => tokenizer.ChatTemplate is null ? null
        : new ChatTemplate(tokenizer.ChatTemplate, new Dictionary<string, string?>
        {
            ["bos_token"] = tokenizer.BosToken, ["eos_token"] = tokenizer.EosToken, ["pad_token"] = tokenizer.PadToken,
        });

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables = null) =>
        Render(messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(), addGenerationPrompt, variables);

    /// <summary>Messages as JSON objects, with whatever fields the template reads (tool_calls, reasoning_content, ...).</summary>
    public string Render(JsonArray messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables = null) =>
        Render(JinjaValues.FromJson(messages), addGenerationPrompt, variables);

    private string Render(object? messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? variables)
    {
        var context = new Dictionary<string, object?>(_specialTokens)
        {
            ["messages"] = messages, ["tools"] = null, ["documents"] = null, ["add_generation_prompt"] = addGenerationPrompt,
        };
        foreach (var (k, v) in variables ?? new Dictionary<string, object?>()) context[k] = v;
        return _template.Render(context);
    }
}
