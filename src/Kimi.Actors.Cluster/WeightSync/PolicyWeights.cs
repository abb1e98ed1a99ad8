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

    public static byte[] ToSafeTensors(LlamaForCausalLM policy, RunId runId, long version) =>
        PolicyCheckpoint.WeightsToBytes(policy, new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ConfigKey] = policy.Config.ToJson(),
            [RunIdKey] = runId.Value,
            [VersionKey] = version.ToString(CultureInfo.InvariantCulture),
        });

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

    /// <summary>A new policy on <paramref name="device"/>, in eval mode, built from published weights alone.</summary>
    public static LlamaForCausalLM ToPolicy(byte[] safetensors, Device device, string source)
    {
        var policy = new LlamaForCausalLM(ReadConfig(safetensors, source));
        try
        {
            policy.to(device);
            LoadInto(policy, safetensors, source);
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
