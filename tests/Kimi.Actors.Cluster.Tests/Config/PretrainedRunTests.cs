using System.Text.Json.Nodes;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Tests.Workers;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tests.Shared;
using static TorchSharp.torch;

namespace Kimi.Actors.Cluster.Tests.Configuration;

/// <summary>kimi.model.pretrained: a Hugging Face folder's config, tokenizer and stop ids for the run, and checkpoints in its layout.</summary>
public sealed class PretrainedRunTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Fixture(string name) => HfFixtureFolders.Folder(name);

    private static RunOptions Bind(string overrides) =>
        RunOptionsBinder.Bind(ConfigurationFactory.ParseString(overrides)
            .WithFallback(ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/kimi.conf"))));

    private static string Quoted(string path) => System.Text.Json.JsonSerializer.Serialize(path);

    [Fact]
    public void The_folder_gives_the_runs_model_tokenizer_stop_ids_and_initial_weights()
    {
        string dir = Fixture("qwen2");
        var options = Bind($"kimi.model.pretrained = {Quoted(dir)}");
        var folder = PretrainedFolder.Open(dir);
        Assert.Equal(folder.Config.ToJson(), options.Model.ToJson());
        Assert.Equal(448, options.Model.VocabSize);
        Assert.Equal(TokenizerSpec.Hf(dir), options.Tokenizer);
        Assert.Equal([402, 400], options.StopTokens);   // generation_config.json's eos_token_id
        Assert.Equal(Path.GetFullPath(dir), options.InitCheckpoint);
        Assert.Equal(MasterWeightsMode.Auto, options.Optimization.MasterWeights);
        var rollout = Kimi.Actors.Rl.Runs.IterationState.RolloutSettingsOf(options);
        Assert.Equal([402, 400], rollout.StopTokens);
        Assert.Equal([402, 400], Kimi.Actors.Rl.Evaluation.EvaluationPlan.Of(options).Greedy.StopTokens);

        var plain = Bind($$"""
            kimi.model { pretrained = {{Quoted(dir)}}, prompt-template = "Q: {prompt}\nA:", dtype = bfloat16 }
            kimi.run.init-checkpoint = "/elsewhere"
            kimi.optimization.master-weights = off
            """);
        Assert.Equal("Q: {prompt}\nA:", plain.Tokenizer.PromptTemplate);
        Assert.Equal("bfloat16", plain.Dtype);
        Assert.Equal("/elsewhere", plain.InitCheckpoint);
        Assert.Equal(MasterWeightsMode.Off, plain.Sft.MasterWeights);

        var tiny = Bind("");
        Assert.Equal(TokenizerSpec.Char, tiny.Tokenizer);
        Assert.Null(tiny.StopTokens);
        Assert.Null(tiny.InitCheckpoint);
    }

    [Theory]
    [InlineData("no-such-folder", "kimi.model.pretrained", "does not exist")]
    [InlineData("qwen2", "kimi.model.prompt-template", "{prompt}")]
    public void A_bad_folder_or_template_stops_start_up_naming_the_key(string fixture, string key, string problem)
    {
        string dir = fixture == "no-such-folder" ? Path.Combine(_folder.Path, fixture) : Fixture(fixture);
        string template = fixture == "qwen2" ? "kimi.model.prompt-template = \"no placeholder\"" : "";
        var e = Assert.Throws<ConfigException>(() => Bind($"kimi.model.pretrained = {Quoted(dir)}\n{template}"));
        Assert.StartsWith(key, e.Message);
        Assert.Contains(problem, e.Message);
        if (template.Length == 0) Assert.Contains(dir, e.Message);
        Assert.Contains("kimi.model.dtype", Assert.Throws<ConfigException>(() => Bind("kimi.model.dtype = fp8")).Message);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen3-bf16")]
    public void Durable_checkpoints_of_a_hugging_face_policy_are_folders_of_its_layout(string name)
    {
        string dir = Fixture(name);
        using var policy = PolicyCheckpoint.Load(dir);
        var run = TinyWorkload.NewRunId();
        byte[] published = PolicyWeights.ToSafeTensors(policy, run, 3);

        // A generator's copy keeps the folder and the dtype the trainer published in.
        using (var copy = PolicyWeights.ToPolicy(published, CPU, "published"))
        {
            Assert.Equal(Path.GetFullPath(dir), copy.Pretrained!.Directory);
            Assert.Equal(policy.parameters().First().dtype, copy.parameters().First().dtype);
        }

        var store = new CheckpointStore(Path.Combine(_folder.Path, "checkpoints"), keep: 2);
        var checkpoint = store.Save(run, 3, published);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))),
            JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint.Directory, "config.json")))));
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, file)), File.ReadAllBytes(Path.Combine(checkpoint.Directory, file)));
        var names = Directory.GetFiles(dir, "*.safetensors").SelectMany(f => SafeTensors.ReadHeader(f).Tensors.Select(t => t.Name)).Order();
        Assert.Equal(names, SafeTensors.ReadHeader(Path.Combine(checkpoint.Directory, "model.safetensors")).Tensors.Select(t => t.Name).Order());

        // The checkpoint is a model folder: it loads with its tokenizer, and restores by its hash.
        using var reloaded = PolicyCheckpoint.Load(checkpoint.Directory);
        Assert.Equal(policy.ParameterCount(), reloaded.ParameterCount());
        Assert.IsType<HfPromptTokenizer>(TokenizerSpec.Hf(checkpoint.Directory).Create());
        Assert.Equal(published, CheckpointStore.Load(checkpoint));
    }
}
