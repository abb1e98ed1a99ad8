using Kimi.Actors.Model.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>
/// A policy on disk in Hugging Face layout: <c>config.json</c> and <c>model.safetensors</c> in one folder
/// (plus free-form string metadata in the safetensors header, e.g. run id and weight version).
/// </summary>
public static class PolicyCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    public static void Save(string directory, LlamaForCausalLM model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(directory);
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
        SafeTensors.Save(Path.Combine(directory, WeightsFile), model.state_dict(), meta);
        var configPath = Path.Combine(directory, ConfigFile);
        File.WriteAllText(configPath + ".tmp", model.Config.ToJson());
        File.Move(configPath + ".tmp", configPath, overwrite: true);
    }

    /// <summary>The weights alone, as safetensors bytes (for weight sync, which never puts tensors in messages).</summary>
    public static byte[] WeightsToBytes(LlamaForCausalLM model, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.ToBytes(model.state_dict(), metadata);

    public static ModelConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        if (!Directory.Exists(directory)) throw new CheckpointException(directory, null, "checkpoint folder does not exist");
        if (!File.Exists(path)) throw new CheckpointException(path, null, $"missing (a checkpoint folder holds {ConfigFile} and {WeightsFile})");
        try { return ModelConfig.FromJson(File.ReadAllText(path), path); }
        catch (ArgumentException e) { throw new CheckpointException(path, null, e.Message.StartsWith(path) ? e.Message[(path.Length + 2)..] : e.Message, e); }
    }

    public static LlamaForCausalLM Load(string directory, Device? device = null)
    {
        var config = ReadConfig(directory);
        var model = new LlamaForCausalLM(config);
        if (device is not null) model.to(device);
        LoadWeights(model, SafeTensors.Load(Path.Combine(directory, WeightsFile), device), Path.Combine(directory, WeightsFile));
        model.eval();
        return model;
    }

    /// <summary>Copies tensors into the model, checking that names and shapes match exactly.</summary>
    public static void LoadWeights(LlamaForCausalLM model, Dictionary<string, Tensor> tensors, string source)
    {
        var expected = model.state_dict();
        foreach (var name in expected.Keys)
            if (!tensors.ContainsKey(name)) throw new CheckpointException(source, name, "tensor is missing");
        foreach (var (name, t) in tensors)
        {
            if (!expected.TryGetValue(name, out var target)) throw new CheckpointException(source, name, "unexpected tensor for this model config");
            if (!target.shape.SequenceEqual(t.shape))
                throw new CheckpointException(source, name, $"shape [{string.Join(", ", t.shape)}], the model expects [{string.Join(", ", target.shape)}]");
        }
        using var noGrad = no_grad();
        foreach (var (name, t) in tensors)
        {
            expected[name].copy_(t);
            t.Dispose();
        }
    }
}
