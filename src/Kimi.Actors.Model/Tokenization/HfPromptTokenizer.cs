using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Templates;

namespace Kimi.Actors.Model.Tokenization;

/// <summary>
/// A Hugging Face tokenizer with the way its run presents prompts: through the checkpoint's chat template as one user
/// message with the generation prompt (rendered text holds every special token, so it is encoded without adding more,
/// as transformers' <c>apply_chat_template(tokenize=True)</c> does), or through a plain template (<c>{prompt}</c> replaced,
/// encoded with special tokens). Responses and decoding are the tokenizer's own.
/// </summary>
public sealed class HfPromptTokenizer : ITokenizer, IPromptEncoder
{
    public const string PromptPlaceholder = "{prompt}";

    private readonly ChatTemplate? _chat;
    private readonly string? _plain;

    private HfPromptTokenizer(HfTokenizer tokenizer, ChatTemplate? chat, string? plain)
    {
        Tokenizer = tokenizer;
        _chat = chat;
        _plain = plain;
    }

    public HfTokenizer Tokenizer { get; }

    /// <summary>Loads the folder of an <c>hf</c> spec; a chat prompt needs the checkpoint to have a chat template.</summary>
    public static HfPromptTokenizer Load(TokenizerSpec spec)
    {
        if (spec.Path is not { Length: > 0 } folder) throw new ArgumentException("tokenizer 'hf' needs the model folder's path");
        var config = PretrainedFolder.Open(folder).Config;
        var tokenizer = HfTokenizer.Load(folder, config.VocabSize);
        try { return Create(tokenizer, spec.PromptTemplate); }
        catch { tokenizer.Dispose(); throw; }
    }

    public static HfPromptTokenizer Create(HfTokenizer tokenizer, string? plainTemplate)
    {
        if (plainTemplate is not null)
        {
            if (!plainTemplate.Contains(PromptPlaceholder, StringComparison.Ordinal))
                throw new ArgumentException($"prompt template '{plainTemplate}' has no {PromptPlaceholder}");
            return new HfPromptTokenizer(tokenizer, null, plainTemplate);
        }
        var chat = ChatTemplate.For(tokenizer)
            ?? throw new CheckpointException(Path.Combine(tokenizer.Source, HfTokenizer.ConfigFile), "chat_template",
                $"missing (and no {HfTokenizer.ChatTemplateFile}): give a plain prompt template instead (kimi.model.prompt-template)");
        return new HfPromptTokenizer(tokenizer, chat, null);
    }

    public int[] EncodePrompt(string prompt) => _chat is not null
        ? Tokenizer.Encode(_chat.Render([new ChatMessage("user", prompt)], addGenerationPrompt: true), addSpecialTokens: false)
        : Tokenizer.Encode(_plain!.Replace(PromptPlaceholder, prompt, StringComparison.Ordinal), addSpecialTokens: true);

    public int VocabSize => Tokenizer.VocabSize;
    public int PadId => Tokenizer.PadId;
    public int? BosId => Tokenizer.BosId;
    public int EosId => Tokenizer.EosId;
    public int[] Encode(string text) => Tokenizer.Encode(text);
    public int[] Encode(string text, bool addSpecialTokens) => Tokenizer.Encode(text, addSpecialTokens);
    public string Decode(ReadOnlySpan<int> ids) => Tokenizer.Decode(ids);
    public bool CanEncode(char c) => Tokenizer.CanEncode(c);
}
