using System.Globalization;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>
/// Durable checkpoints of committed weights: <c>&lt;root&gt;/&lt;run&gt;/v&lt;version&gt;/</c> holding the published safetensors
/// bytes as <c>model.safetensors</c> (the model config is in its metadata) and <c>config.json</c>, so the folder is also
/// a plain Hugging Face-style checkpoint; a policy loaded from a Hugging Face folder gets that folder's config.json,
/// tokenizer and generation files (one model.safetensors whatever the source's sharding: transformers reads both). Written to a temporary folder and renamed: a crash never leaves half of one.
/// </summary>
public sealed class CheckpointStore(string root, int keep)
{
    /// <summary>A checkpoint folder holding this file is kept when older ones are pruned (<see cref="Pin"/>).</summary>
    public const string PinFile = "PINNED";

    public string Root { get; } = Path.GetFullPath(root);

    public string DirectoryOf(RunId runId, long version) =>
        Path.Combine(Root, runId.Value, "v" + version.ToString("D6", CultureInfo.InvariantCulture));

    /// <summary>Writes <paramref name="safetensors"/> as the run's checkpoint of <paramref name="version"/>; returns its folder and hash.</summary>
    /// <param name="sha256">The bytes' SHA-256 when the caller computed it from these very bytes (a publisher saving what
    /// it published); null: computed here.</param>
    public CheckpointRef Save(RunId runId, long version, byte[] safetensors, string? sha256 = null)
    {
        var dir = DirectoryOf(runId, version);
        var config = PolicyWeights.ReadConfig(safetensors, $"run {runId} version {version}");
        var tmp = dir + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        File.WriteAllBytes(Path.Combine(tmp, PolicyCheckpoint.WeightsFile), safetensors);
        // A policy from a Hugging Face folder keeps that folder's config.json and tokenizer, so the checkpoint is a model
        // folder transformers (and kimi train --model) load as they are; otherwise the config the weights carry.
        if (PolicyWeights.ReadPretrained(safetensors, $"run {runId} version {version}") is { } pretrained) PolicyCheckpoint.WriteCompanions(tmp, pretrained);
        else File.WriteAllText(Path.Combine(tmp, PolicyCheckpoint.ConfigFile), config.ToJson());
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.Move(tmp, dir);
        Prune(runId, version);
        return new CheckpointRef(dir, sha256 ?? WeightChecks.Sha256(safetensors));
    }

    /// <summary>
    /// The weights of a checkpoint, verified against the SHA-256 the journal recorded for it (when it recorded one); an
    /// error names the file.
    /// </summary>
    public static byte[] Load(CheckpointRef checkpoint)
    {
        var file = Path.Combine(checkpoint.Directory, PolicyCheckpoint.WeightsFile);
        if (!File.Exists(file)) throw new CheckpointException(file, null, "checkpoint weights are missing");
        var bytes = File.ReadAllBytes(file);
        if (checkpoint.Sha256.Length > 0 && WeightChecks.Sha256(bytes) is var sha && sha != checkpoint.Sha256)
            throw new CheckpointException(file, null, $"SHA-256 {sha} differs from the {checkpoint.Sha256} recorded when it was committed (damaged or replaced)");
        PolicyWeights.ReadConfig(bytes, file); // the model config must be there to rebuild the policy
        return bytes;
    }

    /// <summary>
    /// Keeps <paramref name="directory"/> (a checkpoint folder) from ever being pruned: writes <see cref="PinFile"/> with
    /// <paramref name="note"/> into it. False when the folder is not there (it lives on another node, or was pruned).
    /// </summary>
    public static bool Pin(string directory, string note)
    {
        if (!Directory.Exists(directory)) return false;
        File.WriteAllText(Path.Combine(directory, PinFile), note + "\n");
        return true;
    }

    /// <summary>Keeps the newest <c>keep</c> versions of the run (never the one just written), and every pinned one.</summary>
    private void Prune(RunId runId, long newest)
    {
        if (keep <= 0) return;
        var runDir = Path.Combine(Root, runId.Value);
        var old = Directory.GetDirectories(runDir, "v*")
            .Select(d => (Dir: d, Ok: long.TryParse(Path.GetFileName(d)[1..], NumberStyles.None, CultureInfo.InvariantCulture, out long v), Version: v))
            .Where(x => x.Ok && x.Version < newest && !File.Exists(Path.Combine(x.Dir, PinFile)))
            .OrderByDescending(x => x.Version)
            .Skip(keep - 1);
        foreach (var (dir, _, _) in old)
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
