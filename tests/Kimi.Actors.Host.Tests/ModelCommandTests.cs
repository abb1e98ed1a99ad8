using System.Text.Json.Nodes;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Tests.Shared;

namespace Kimi.Actors.Host.Tests;

/// <summary><c>kimi model info</c> and <c>kimi model logits</c> on the Hugging Face fixtures of the model tests.</summary>
public class ModelCommandTests
{
    private static string Fixture(string name) => HfFixtureFolders.Folder(name);

    [Fact]
    public void Logits_json_gives_transformers_tokens_and_last_logits()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Fixture("qwen2") + ".reference.json"))!;
        var entry = reference["logits"]![2]!;
        var result = CliRunner.Run("model", "logits", "--model", Fixture("qwen2"), "--text", (string)entry["text"]!, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(entry["ids"]!.AsArray().Select(x => (int)x!), output["tokens"]!.AsArray().Select(x => (int)x!));
        var expected = entry["last_logits"]!.AsArray().Select(x => (double)x!).ToArray();
        var actual = output["last_logits"]!.AsArray().Select(x => (double)x!).ToArray();
        Assert.Equal(448, actual.Length);
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() < 1e-4);
    }

    [Fact]
    public void Info_names_architecture_parameters_dtype_vocabulary_and_special_tokens()
    {
        var result = CliRunner.Run("model", "info", "--model", Fixture("llama"), "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var info = JsonNode.Parse(result.Stdout)!;
        Assert.Equal("LlamaForCausalLM", (string)info["architecture"]!);
        Assert.Equal(123840, (long)info["parameters"]!);
        Assert.Equal("float32", (string)info["dtype"]!);
        Assert.Equal(389, (int)info["vocab_size"]!);
        Assert.Equal("<|begin_of_text|>", (string)info["bos_token"]!);
        Assert.Equal(384, (int)info["special_tokens"]!["<|begin_of_text|>"]!);
    }

    [Fact]
    public void A_folder_that_is_not_a_model_is_a_user_error_naming_the_file()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("model", "info", "--model", folder.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(Path.Combine(folder.Path, "config.json"), result.Stderr);
        Assert.Equal(2, CliRunner.Run("model", "logits", "--model", Fixture("qwen3")).ExitCode);
    }
}
