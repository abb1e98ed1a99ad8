using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Model.Tests.Hf;

/// <summary>How a run's prompts become a Hugging Face model's input: the chat template, or a plain template.</summary>
public class HfPromptTokenizerTests
{
    [Theory, MemberData(nameof(HfFixtures.Float32Names), MemberType = typeof(HfFixtures))]
    public void A_chat_prompt_is_transformers_apply_chat_template_with_the_generation_prompt(string name)
    {
        // chats[0] of the reference: one user message, add_generation_prompt=True, tokenized by transformers.
        var chat = HfFixtures.Reference(name)["chats"]![0]!;
        Assert.True((bool)chat["add_generation_prompt"]!);
        Assert.Equal("user", (string)chat["messages"]![0]!["role"]!);
        var tokenizer = TokenizerSpec.Hf(HfFixtures.Folder(name)).Create();
        var prompt = Assert.IsAssignableFrom<IPromptEncoder>(tokenizer);
        Assert.Equal(HfFixtures.Ids(chat["ids"]), prompt.EncodePrompt((string)chat["messages"]![0]!["content"]!));
    }

    [Fact]
    public void A_plain_template_replaces_the_prompt_and_adds_the_tokenizers_special_tokens()
    {
        var tokenizer = (HfPromptTokenizer)TokenizerSpec.Hf(HfFixtures.Folder("llama"), "Question: {prompt}\nAnswer:").Create();
        int[] ids = tokenizer.EncodePrompt("3+4=");
        Assert.Equal(tokenizer.Encode("Question: 3+4=\nAnswer:", addSpecialTokens: true), ids);
        Assert.Equal(tokenizer.BosId, ids[0]); // Llama's <|begin_of_text|>
        Assert.Equal("Question: 3+4=\nAnswer:", tokenizer.Decode(ids));
    }

    [Fact]
    public void Specs_of_one_folder_share_one_loaded_tokenizer_and_bad_ones_name_what_is_wrong()
    {
        var spec = TokenizerSpec.Hf(HfFixtures.Folder("qwen2"));
        Assert.Same(spec.Create(), TokenizerSpec.Hf(HfFixtures.Folder("qwen2")).Create());
        Assert.Equal(Path.GetFullPath(HfFixtures.Folder("qwen2")), spec.Path);

        var e = Assert.Throws<ArgumentException>(() => TokenizerSpec.Hf(HfFixtures.Folder("qwen2"), "no placeholder").Create());
        Assert.Contains("{prompt}", e.Message);
        var missing = Path.Combine(Path.GetTempPath(), "kimi-no-such-model-" + Guid.NewGuid().ToString("N"));
        e = Assert.Throws<ArgumentException>(() => TokenizerSpec.Hf(missing).Create());
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void A_checkpoint_without_a_chat_template_needs_a_plain_one()
    {
        using var folder = new Checkpoints.CheckpointFolder();
        var dir = HfFixtures.CopyTo("qwen3", folder.File("m"));
        File.Delete(Path.Combine(dir, "chat_template.jinja"));
        var e = Assert.Throws<ArgumentException>(() => TokenizerSpec.Hf(dir).Create());
        Assert.Contains("chat_template", e.Message);
        Assert.Contains("prompt-template", e.Message);
        Assert.IsType<HfPromptTokenizer>(TokenizerSpec.Hf(dir, "{prompt}").Create());
    }
}
