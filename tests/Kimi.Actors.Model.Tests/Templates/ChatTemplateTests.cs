using System.Text.Json.Nodes;
using Kimi.Actors.Model.Templates;
using Kimi.Actors.Model.Tests.Hf;
using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Model.Tests.Templates;

/// <summary>The fixtures' real chat templates (Llama 3, Qwen2.5, Qwen3) against transformers' apply_chat_template.</summary>
public class ChatTemplateTests
{
    [Theory, MemberData(nameof(HfFixtures.AllNames), MemberType = typeof(HfFixtures))]
    public void Renders_and_tokenizes_chats_as_transformers_does(string name)
    {
        var reference = HfFixtures.Reference(name);
        using var tokenizer = HfTokenizer.Load(HfFixtures.Folder(name));
        var template = ChatTemplate.For(tokenizer)!;
        var chats = reference["chats"]!.AsArray();
        Assert.Equal(4, chats.Count);
        foreach (var chat in chats)
        {
            var text = template.Render(chat!["messages"]!.AsArray(), chat["add_generation_prompt"]!.GetValue<bool>());
            Assert.Equal(chat["text"]!.GetValue<string>(), text);
            // The rendering carries its own special tokens: no more are added.
            Assert.Equal(HfFixtures.Ids(chat["ids"]), tokenizer.Encode(text));
        }
    }

    [Fact]
    public void Qwen3_thinking_switch_and_typed_messages()
    {
        using var tokenizer = HfTokenizer.Load(HfFixtures.Folder("qwen3"));
        var template = ChatTemplate.For(tokenizer)!;
        var messages = new[] { new ChatMessage("user", "2+2?") };
        Assert.Equal("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", template.Render(messages, addGenerationPrompt: true));
        Assert.Equal("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
            template.Render(messages, addGenerationPrompt: true, new Dictionary<string, object?> { ["enable_thinking"] = false }));
    }

    [Fact]
    public void Llama3_template_puts_bos_from_the_tokenizer_first()
    {
        using var tokenizer = HfTokenizer.Load(HfFixtures.Folder("llama"));
        var text = ChatTemplate.For(tokenizer)!.Render([new ChatMessage("user", " hi ")], addGenerationPrompt: false);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>", text);
        Assert.Equal(tokenizer.BosId, tokenizer.Encode(text)[0]);
    }
}
