using System.Text.Json.Nodes;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Inspection;
using Kimi.Actors.Model.Tests.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests.Hf;

/// <summary>Saving Hugging Face folders back, and the errors for folders that do not hold together.</summary>
public class HfCheckpointTests
{
    [Theory, MemberData(nameof(HfFixtures.AllNames), MemberType = typeof(HfFixtures))]
    public void Load_save_load_gives_identical_tensors_config_and_files_transformers_expects(string name)
    {
        using var folder = new CheckpointFolder();
        string fixture = HfFixtures.Folder(name), saved = folder.File("saved");
        using var first = PolicyCheckpoint.Load(fixture);
        PolicyCheckpoint.Save(saved, first, new Dictionary<string, string> { ["run_id"] = "r1" });
        using var second = PolicyCheckpoint.Load(saved);

        var a = first.state_dict();
        var b = second.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (key, t) in a)
        {
            Assert.Equal(t.dtype, b[key].dtype);
            Assert.True(t.bytes.SequenceEqual(b[key].bytes), key);
        }
        Assert.Equal(first.Config.ToJson(), second.Config.ToJson());

        // config.json, the tensor names and their dtypes are the fixture's own (what transformers wrote and reads).
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json"))),
            JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))));
        Assert.Equal(StoredTensors(fixture), StoredTensors(saved));
        Assert.Equal(HfFixtures.Reference(name)["tensor_names"]!.AsArray().Select(x => (string)x!).Where(n => !(first.Config.TieWordEmbeddings && n == "lm_head.weight")),
            StoredTensors(saved).Keys);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(fixture, file)), File.ReadAllBytes(Path.Combine(saved, file)));
        // The same layout: Llama's four shards and its index, or one model.safetensors.
        Assert.Equal(Directory.GetFiles(fixture).Select(Path.GetFileName).Order(), Directory.GetFiles(saved).Select(Path.GetFileName).Order());
        Assert.Equal("r1", SafeTensors.ReadHeader(Path.Combine(saved, StoredTensors(saved).First().Value.File)).Metadata["run_id"]);
    }

    /// <summary>Tensor name to (file, dtype, shape) over every safetensors file of a folder.</summary>
    private static SortedDictionary<string, (string File, string DType, string Shape)> StoredTensors(string folder)
    {
        var result = new SortedDictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(folder, "*.safetensors"))
            foreach (var t in SafeTensors.ReadHeader(path).Tensors)
                result[t.Name] = (Path.GetFileName(path), t.DType, string.Join(",", t.Shape));
        return result;
    }

    [Fact]
    public void A_model_trained_in_float32_is_saved_in_the_source_dtype()
    {
        using var folder = new CheckpointFolder();
        using var model = PolicyCheckpoint.Load(HfFixtures.Folder("qwen3-bf16"), dtype: ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, model.parameters().First().dtype);
        PolicyCheckpoint.Save(folder.File("out"), model);
        Assert.All(SafeTensors.ReadHeader(folder.File("out", "model.safetensors")).Tensors, t => Assert.Equal("BF16", t.DType));
        Assert.Equal("bfloat16", JsonNode.Parse(File.ReadAllText(folder.File("out", "config.json")))!["dtype"]!.GetValue<string>());
    }

    [Fact]
    public void Unsupported_architecture_names_the_file_and_field()
    {
        using var folder = new CheckpointFolder();
        var dir = HfFixtures.CopyTo("qwen2", folder.File("m"));
        Rewrite(Path.Combine(dir, "config.json"), c => { c["model_type"] = "mistral"; c["architectures"] = new JsonArray("MistralForCausalLM"); });
        var e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(dir));
        Assert.Contains(Path.Combine(dir, "config.json"), e.Message);
        Assert.Contains("model_type", e.Message);
        Assert.Contains("mistral", e.Message);
        Assert.Contains("Qwen3ForCausalLM", e.Message);

        Rewrite(Path.Combine(dir, "config.json"), c => { c["model_type"] = "qwen2"; c["architectures"] = new JsonArray("Qwen2ForCausalLM"); c["rope_parameters"]!["rope_type"] = "yarn"; });
        e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(dir));
        Assert.Contains("rope_parameters.rope_type", e.Message);
        Assert.Contains("yarn", e.Message);
    }

    [Fact]
    public void A_shard_listed_in_the_index_but_absent_is_named()
    {
        using var folder = new CheckpointFolder();
        var dir = HfFixtures.CopyTo("llama", folder.File("m"));
        File.Delete(Path.Combine(dir, "model-00003-of-00004.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(dir));
        Assert.Contains(Path.Combine(dir, "model.safetensors.index.json"), e.Message);
        Assert.Contains("model-00003-of-00004.safetensors", e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("weight_map['model.layers.1.", e.Message);
    }

    [Fact]
    public void A_tensor_listed_in_the_index_but_not_in_its_shard_is_named()
    {
        using var folder = new CheckpointFolder();
        var dir = HfFixtures.CopyTo("llama", folder.File("m"));
        Rewrite(Path.Combine(dir, "model.safetensors.index.json"), i => i["weight_map"]!["lm_head.weight"] = "model-00001-of-00004.safetensors");
        var e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(dir));
        Assert.Contains("model-00001-of-00004.safetensors", e.Message);
        Assert.Contains("tensor 'lm_head.weight'", e.Message);
    }

    [Fact]
    public void Wrong_shape_and_missing_tensors_are_named_with_their_file()
    {
        using var folder = new CheckpointFolder();
        var dir = HfFixtures.CopyTo("qwen3", folder.File("m"));
        var weights = Path.Combine(dir, "model.safetensors");
        var tensors = SafeTensors.Load(weights);
        tensors["model.layers.1.self_attn.q_norm.weight"] = zeros(16);
        SafeTensors.Save(weights, tensors);
        var e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(dir));
        Assert.Contains(weights, e.Message);
        Assert.Contains("tensor 'model.layers.1.self_attn.q_norm.weight'", e.Message);
        Assert.Contains("[16]", e.Message);
        Assert.Contains("[32]", e.Message);

        tensors.Remove("model.layers.1.self_attn.q_norm.weight");
        SafeTensors.Save(weights, tensors);
        e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(dir));
        Assert.Contains(weights, e.Message);
        Assert.Contains("tensor 'model.layers.1.self_attn.q_norm.weight'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Qwen2_biases_are_required_and_loaded()
    {
        using var model = PolicyCheckpoint.Load(HfFixtures.Folder("qwen2"));
        var state = model.state_dict();
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", state.Keys);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", state.Keys);
        Assert.True(state["model.layers.0.self_attn.k_proj.bias"].abs().sum().item<float>() > 0);
    }

    [Fact]
    public void A_tokenizer_larger_than_vocab_size_is_refused_naming_the_token()
    {
        var e = Assert.Throws<CheckpointException>(() => HfTokenizer.Load(HfFixtures.Folder("qwen3"), modelVocabSize: 404));
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("added_tokens", e.Message);
        Assert.Contains("'</think>'", e.Message);
        Assert.Contains("vocab_size 404", e.Message);
        e = Assert.Throws<CheckpointException>(() => HfTokenizer.Load(HfFixtures.Folder("llama"), modelVocabSize: 300));
        Assert.Contains("vocab_size 300", e.Message);
        // Qwen's embedding is padded past the tokenizer: that is a match.
        using var padded = HfTokenizer.Load(HfFixtures.Folder("qwen3"), modelVocabSize: 448);
        Assert.Equal(405, padded.VocabSize);
    }

    [Fact]
    public void Model_info_reports_architecture_parameters_dtype_vocabulary_and_special_tokens()
    {
        using var model = PolicyCheckpoint.Load(HfFixtures.Folder("qwen3-bf16"));
        using var tokenizer = HfTokenizer.Load(HfFixtures.Folder("qwen3-bf16"), model.Config.VocabSize);
        var info = ModelProbe.Describe(model, tokenizer);
        Assert.Equal("Qwen3ForCausalLM", info.Architecture);
        Assert.Equal(HfFixtures.Reference("qwen3-bf16")["parameters"]!.GetValue<long>(), info.Parameters);
        Assert.Equal("bfloat16", info.Dtype);
        Assert.Equal((448, 405, 32), (info.VocabSize, info.TokenizerVocabSize, info.HeadDim));
        Assert.Equal(new Dictionary<string, int> { ["<|endoftext|>"] = 400, ["<|im_start|>"] = 401, ["<|im_end|>"] = 402 }, info.SpecialTokens);
        Assert.Equal([402, 400], info.StopTokenIds); // generation_config.json's list
        Assert.True(info.HasChatTemplate);
    }

    private static void Rewrite(string path, Action<JsonObject> change)
    {
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
        change(json);
        File.WriteAllText(path, json.ToJsonString());
    }
}
