using System.Globalization;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using TorchSharp;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using static TorchSharp.torch;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>
/// A policy as published weights and back. The model config travels in the safetensors metadata (key
/// <see cref="ConfigKey"/>, <see cref="ModelConfig.ToJson"/>), so one published file is enough to build the policy.
/// </summary>
public static class PolicyWeights
{
    public const string ConfigKey = "config";
    public const string RunIdKey = "run_id";
    public const string VersionKey = "version";
    /// <summary>The Hugging Face folder the policy was loaded from (its config.json and tokenizer go with every checkpoint).</summary>
    public const string PretrainedKey = "pretrained";

    public static byte[] ToSafeTensors(LlamaForCausalLM policy, RunId runId, long version)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ConfigKey] = policy.Config.ToJson(),
            [RunIdKey] = runId.Value,
            [VersionKey] = version.ToString(CultureInfo.InvariantCulture),
        };
        if (policy.Pretrained is { } source) metadata[PretrainedKey] = Path.GetFullPath(source.Directory);
        return PolicyCheckpoint.WeightsToBytes(policy, metadata);
    }

    /// <summary>
    /// The Hugging Face folder named in the metadata of published weights, or null when the policy has none.
    /// </summary>
    /// <exception cref="CheckpointException">The metadata names a folder that is gone or no longer a model folder.</exception>
    public static PretrainedFolder? ReadPretrained(ReadOnlySpan<byte> safetensors, string source)
    {
        var header = SafeTensors.ReadHeader(safetensors, source);
        if (!header.Metadata.TryGetValue(PretrainedKey, out var dir)) return null;
        try { return PretrainedFolder.Open(dir); }
        catch (CheckpointException e)
        {
            throw new CheckpointException(source, "__metadata__." + PretrainedKey, $"the policy's model folder cannot be read: {e.Message}", e);
        }
    }

    public static WeightsPublished Publish(IWeightStore store, RunId runId, long version, LlamaForCausalLM policy) =>
        store.Publish(runId, version, ToSafeTensors(policy, runId, version));

    /// <summary>The model config carried in the metadata of published weights.</summary>
    public static ModelConfig ReadConfig(ReadOnlySpan<byte> safetensors, string source)
    {
        var header = SafeTensors.ReadHeader(safetensors, source);
        if (!header.Metadata.TryGetValue(ConfigKey, out var json))
            throw new CheckpointException(source, "__metadata__." + ConfigKey, "missing: published weights carry their model config");
        try { return ModelConfig.FromJson(json, source); }
        catch (ArgumentException e) { throw new CheckpointException(source, "__metadata__." + ConfigKey, e.Message, e); }
    }

    /// <summary>
    /// A new policy on <paramref name="device"/>, in eval mode, built from published weights alone, in the dtype they were
    /// published in (a bf16 trainer gives bf16 generators), keeping the Hugging Face folder they came from.
    /// </summary>
    public static LlamaForCausalLM ToPolicy(byte[] safetensors, Device device, string source)
    {
        var policy = new LlamaForCausalLM(ReadConfig(safetensors, source));
        try
        {
            var header = SafeTensors.ReadHeader(safetensors, source);
            var dtype = header.Tensors.Select(t => t.ScalarType).FirstOrDefault(t => t is ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32, ScalarType.Float32);
            if (dtype != ScalarType.Float32) policy.to(dtype);
            policy.to(device);
            LoadInto(policy, safetensors, source);
            policy.Pretrained = ReadPretrained(safetensors, source);
            return policy;
        }
        catch
        {
            policy.Dispose();
            throw;
        }
    }

    /// <summary>Copies published weights into an existing policy of the same architecture (no reallocation).</summary>
    public static void LoadInto(LlamaForCausalLM policy, byte[] safetensors, string source)
    {
        var config = ReadConfig(safetensors, source);
        if (config.ToJson() != policy.Config.ToJson())
            throw new CheckpointException(source, "__metadata__." + ConfigKey, "architecture differs from the loaded policy's");
        var device = policy.parameters().First().device;
        PolicyCheckpoint.LoadWeights(policy, SafeTensors.Load(safetensors, device, source), source);
        policy.eval();
    }

    /// <summary>Whether <paramref name="safetensors"/> describe the same architecture as <paramref name="policy"/>.</summary>
    public static bool SameArchitecture(LlamaForCausalLM policy, byte[] safetensors, string source) =>
        ReadConfig(safetensors, source).ToJson() == policy.Config.ToJson();
}
