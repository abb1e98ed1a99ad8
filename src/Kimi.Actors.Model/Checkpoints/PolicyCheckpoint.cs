using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.Model.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>
/// A policy on disk in Hugging Face layout: <c>config.json</c> and <c>model.safetensors</c> (or shards with
/// <c>model.safetensors.index.json</c>) in one folder, plus free-form string metadata in the safetensors header
/// (e.g. run id and weight version). A model loaded from a Hugging Face folder is saved back in that folder's layout:
/// its own config.json, the same shards, the source dtype, and the tokenizer and generation files copied, so
/// <c>transformers</c> loads the result unchanged.
/// </summary>
public static class PolicyCheckpoint
{
    public const string ConfigFile = PretrainedFolder.ConfigFile;
    public const string WeightsFile = PretrainedFolder.WeightsFile;

    private static readonly JsonSerializerOptions ConfigJsonOptions = new()
    {
        WriteIndented = true, IndentSize = 2, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes the model. With a <paramref name="source"/> (default: the folder the model was loaded from) the layout
    /// is the source's; otherwise config.json from <see cref="LlamaForCausalLM.Config"/> and one model.safetensors in the
    /// model's own dtype.
    /// </summary>
    public static void Save(string directory, LlamaForCausalLM model, IReadOnlyDictionary<string, string>? metadata = null, PretrainedFolder? source = null)
    {
        source ??= model.Pretrained;
        Directory.CreateDirectory(directory);
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
        if (source is null)
        {
            SafeTensors.Save(Path.Combine(directory, WeightsFile), model.state_dict(), meta);
            WriteAtomically(Path.Combine(directory, ConfigFile), model.Config.ToJson());
            return;
        }

        using var scope = NewDisposeScope();
        var state = model.state_dict().ToDictionary(p => p.Key, p => p.Value.dtype == source.WeightsDtype ? p.Value : p.Value.to_type(source.WeightsDtype));
        if (source.Index is null)
        {
            SafeTensors.Save(Path.Combine(directory, WeightsFile), state, meta);
        }
        else
        {
            // The same shards as the source; a tensor the index did not list (none for a supported model) joins the last one.
            string last = source.WeightMap.Values.Max(StringComparer.Ordinal)!;
            var shards = state.GroupBy(p => source.WeightMap.GetValueOrDefault(p.Key, last));
            long total = 0;
            var weightMap = new JsonObject();
            foreach (var shard in shards.OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                SafeTensors.Save(Path.Combine(directory, shard.Key), shard.ToDictionary(p => p.Key, p => p.Value), meta);
                total += shard.Sum(p => p.Value.NumberOfElements * p.Value.ElementSize);
            }
            foreach (var name in state.Keys.Order(StringComparer.Ordinal)) weightMap[name] = source.WeightMap.GetValueOrDefault(name, last);
            var index = (JsonObject)source.Index.DeepClone();
            if (index["metadata"] is JsonObject m) m["total_size"] = total;
            index["weight_map"] = weightMap;
            WriteAtomically(Path.Combine(directory, PretrainedFolder.IndexFile), index.ToJsonString(ConfigJsonOptions) + "\n");
        }
        WriteCompanions(directory, source);
    }

    /// <summary>
    /// What a Hugging Face folder holds beside its weights: the source's own config.json and its tokenizer and generation
    /// files, copied unchanged (also for weights written elsewhere, e.g. a run's durable checkpoints).
    /// </summary>
    public static void WriteCompanions(string directory, PretrainedFolder source)
    {
        WriteAtomically(Path.Combine(directory, ConfigFile), source.ConfigJson.ToJsonString(ConfigJsonOptions) + "\n");
        foreach (var file in PretrainedFolder.CompanionFiles)
        {
            string from = source.PathOf(file), to = Path.Combine(directory, file);
            if (File.Exists(from) && Path.GetFullPath(from) != Path.GetFullPath(to)) File.Copy(from, to, overwrite: true);
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The weights alone, as safetensors bytes (for weight sync, which never puts tensors in messages).</summary>
    public static byte[] WeightsToBytes(LlamaForCausalLM model, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.ToBytes(model.state_dict(), metadata);

    public static ModelConfig ReadConfig(string directory) => PretrainedFolder.Open(directory).Config;

    /// <summary>
    /// A run's starting policy on <paramref name="device"/>, in eval mode: the weights of <paramref name="checkpoint"/> (any
    /// model folder; a Hugging Face one stays the policy's source) or fresh ones from <paramref name="config"/> and
    /// <paramref name="seed"/>, in <paramref name="dtype"/> (float32, bfloat16, or auto: the stored dtype where the device
    /// computes in it; fresh weights are float32).
    /// </summary>
    /// <exception cref="CheckpointException">The folder does not load.</exception>
    /// <exception cref="ArgumentException">A bad config or dtype.</exception>
    public static LlamaForCausalLM Initial(ModelConfig config, long seed, string? checkpoint, string dtype, Device device)
    {
        if (checkpoint is not null)
            return Load(checkpoint, device, TorchRuntime.ResolveDtype(dtype, device, PretrainedFolder.Open(checkpoint).WeightsDtype));
        var target = TorchRuntime.ResolveDtype(dtype, device, ScalarType.Float32);
        var policy = new LlamaForCausalLM(config, seed);
        if (target != ScalarType.Float32) policy.to(target);
        policy.to(device);
        policy.eval();
        return policy;
    }

    /// <summary>
    /// Loads a model folder (this project's checkpoints and Hugging Face Llama, Qwen2 and Qwen3 folders alike) onto
    /// <paramref name="device"/>, in <paramref name="dtype"/> (default: the dtype the weights are stored in).
    /// </summary>
    public static LlamaForCausalLM Load(string directory, Device? device = null, ScalarType? dtype = null)
    {
        var folder = PretrainedFolder.Open(directory);
        var model = new LlamaForCausalLM(folder.Config);
        var target = dtype ?? folder.WeightsDtype;
        if (target != ScalarType.Float32) model.to(target);
        if (device is not null) model.to(device);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var file in folder.WeightMap.Values.Distinct())
                foreach (var (name, t) in SafeTensors.Load(folder.PathOf(file), device))
                    tensors[name] = t;
            string index = folder.Index is null ? folder.PathOf(WeightsFile) : folder.PathOf(PretrainedFolder.IndexFile);
            LoadWeights(model, tensors, index, name => folder.PathOf(folder.WeightMap.GetValueOrDefault(name, WeightsFile)));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        model.Pretrained = folder;
        model.eval();
        return model;
    }

    /// <summary>
    /// Copies tensors into the model, checking that names and shapes match exactly. A tied model ignores a stored
    /// <c>lm_head.weight</c> (some exporters write the tied copy), and rotary tables stored by old exporters are ignored.
    /// <paramref name="fileOf"/> names the file holding a tensor (a shard) in errors; missing tensors name <paramref name="source"/>.
    /// </summary>
    public static void LoadWeights(LlamaForCausalLM model, Dictionary<string, Tensor> tensors, string source, Func<string, string>? fileOf = null)
    {
        fileOf ??= _ => source;
        var expected = model.state_dict();
        foreach (var name in expected.Keys)
            if (!tensors.ContainsKey(name)) throw new CheckpointException(source, SafeTensorsHeaderParser.TensorField(name), "tensor is missing");
        bool Ignored(string name) => (model.Config.TieWordEmbeddings && name == "lm_head.weight") || name.EndsWith(".rotary_emb.inv_freq");
        foreach (var (name, t) in tensors)
        {
            if (Ignored(name)) continue;
            if (!expected.TryGetValue(name, out var target))
                throw new CheckpointException(fileOf(name), SafeTensorsHeaderParser.TensorField(name), $"unexpected tensor for this model config ({model.Config.ModelType})");
            if (!target.shape.SequenceEqual(t.shape))
                throw new CheckpointException(fileOf(name), SafeTensorsHeaderParser.TensorField(name),
                    $"shape [{string.Join(", ", t.shape)}], the model expects [{string.Join(", ", target.shape)}]");
        }
        using var noGrad = no_grad();
        foreach (var (name, t) in tensors)
        {
            if (!Ignored(name)) expected[name].copy_(t);
            t.Dispose();
        }
    }
}
