using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tests.Shared;

namespace Kimi.Actors.Rl.Tests.Rollouts;

/// <summary>The one place prompts become tokens: the character tokenizer's text, or a chat model's template.</summary>
public class PromptTokensTests
{
    [Fact]
    public void The_character_tokenizer_puts_beginning_of_sequence_before_the_text()
    {
        var tok = CharTokenizer.Instance;
        Assert.Equal([tok.BosId, .. tok.Encode("3+4=")], PromptTokens.Encode(tok, "3+4="));
        Assert.Equal([.. tok.Encode("3,7#7"), tok.EosId], PromptTokens.EncodeResponse(tok, "3,7#7"));
    }

    [Theory]
    [InlineData("qwen2", "<|im_end|>")]
    [InlineData("llama", "<|eot_id|>")]
    public void A_chat_model_gets_its_template_with_the_generation_prompt_and_ends_responses_with_its_end_of_turn(string name, string endOfTurn)
    {
        var chat = HfFixtureFolders.Reference(name)["chats"]![0]!;
        var tok = TokenizerSpec.Hf(HfFixtureFolders.Folder(name)).Create();
        var expected = chat["ids"]!.AsArray().Select(x => (int)x!).ToArray();
        Assert.Equal(expected, PromptTokens.Encode(tok, (string)chat["messages"]![0]!["content"]!));

        // The end of an assistant turn in the template (Qwen's <|im_end|>, Llama 3's <|eot_id|>) closes a demonstration.
        int[] response = PromptTokens.EncodeResponse(tok, "3,7#7");
        Assert.Equal(((HfPromptTokenizer)tok).Tokenizer.TokenId(endOfTurn), response[^1]);
        Assert.Equal("3,7#7", tok.Decode(response));
    }
}
