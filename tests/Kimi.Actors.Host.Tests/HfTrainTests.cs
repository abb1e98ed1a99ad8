using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Reporting.Tests;
using Kimi.Actors.Tests.Shared;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// <c>kimi train --model FIXTURE --preset hf-smoke</c>: a Hugging Face model (the sharded Llama 3-shaped parity fixture)
/// trained end to end on the cluster engine, prompts through its chat template, checkpoints written in its layout.
/// </summary>
public sealed class HfTrainTests
{
    private static string Fixture(string name) => HfFixtureFolders.Folder(name);

    [Fact]
    public void A_hugging_face_model_trains_through_the_cluster_and_is_saved_in_its_own_layout()
    {
        using var tmp = new TempFolder();
        string fixture = Fixture("llama"), run = tmp.File("run");
        var (result, _) = CliRunner.RunWithin(TimeSpan.FromMinutes(12),
            ["train", "--model", fixture, "--preset", "hf-smoke", "--out", run, .. CliRunner.StorageIn(tmp.Path)]);
        Assert.True(result.ExitCode == 0, result.ToString());

        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement;
        Assert.Equal("cluster", summary.GetProperty("engine").GetString());
        Assert.Equal(3, summary.GetProperty("iterations").GetInt32());
        // The worker reports what it loaded: the fixture's 123,840 parameters (transformers' count, in its reference).
        Assert.Equal(123840, summary.GetProperty("parameters").GetInt64());
        Assert.Equal(3, MetricsJsonlReader.ReadNumericRows(Path.Combine(run, "metrics.jsonl")).Count);

        // Warm-up SFT on chat-templated demonstrations learns something even from random weights.
        var sft = MetricsJsonlReader.ReadNumericRows(Path.Combine(run, "sft.jsonl"));
        Assert.True(sft[^1]["loss"] < sft[0]["loss"] - 0.5, $"SFT loss {sft[0]["loss"]} -> {sft[^1]["loss"]}");

        foreach (var stage in new[] { "sft", "final" })
        {
            var saved = Path.Combine(run, "checkpoints", stage);
            // config.json is the fixture's own, the tokenizer and generation files are copied, the tensor names are the fixture's.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json"))),
                JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))), stage);
            foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json" })
                Assert.Equal(File.ReadAllBytes(Path.Combine(fixture, file)), File.ReadAllBytes(Path.Combine(saved, file)));
            Assert.Equal(TensorNames(fixture), TensorNames(saved));

            var info = CliRunner.Run("model", "info", "--model", saved, "--json");
            Assert.True(info.ExitCode == 0, info.ToString());
            var json = JsonNode.Parse(info.Stdout)!;
            Assert.Equal("LlamaForCausalLM", (string)json["architecture"]!);
            Assert.Equal(123840, (long)json["parameters"]!);
            Assert.Equal([385, 388], json["stop_token_ids"]!.AsArray().Select(x => (int)x!));
        }

        // kimi eval reads such a checkpoint with its own tokenizer and chat template.
        var prompts = tmp.File("prompts.jsonl");
        File.WriteAllText(prompts, "{\"id\":\"a\",\"prompt\":\"1+2=\",\"answer\":\"3\",\"domain\":\"arithmetic\",\"difficulty\":1}\n");
        var eval = CliRunner.Run("eval", "--checkpoint", Path.Combine(run, "checkpoints", "final"), "--prompts", prompts, "--max-response-tokens", "8");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        Assert.Contains("difficulty 1", eval.Stdout);
    }

    private static List<string> TensorNames(string folder) =>
        Directory.GetFiles(folder, "*.safetensors").SelectMany(f => SafeTensors.ReadHeader(f).Tensors.Select(t => t.Name)).Order(StringComparer.Ordinal).ToList();
}
