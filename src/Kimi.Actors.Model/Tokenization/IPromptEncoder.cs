namespace Kimi.Actors.Model.Tokenization;

/// <summary>A tokenizer that knows how its model expects a prompt to be presented (a chat template, a plain template).</summary>
public interface IPromptEncoder
{
    /// <summary>The model input for a prompt, ready for generation (the assistant's turn begins after it).</summary>
    int[] EncodePrompt(string prompt);
}
