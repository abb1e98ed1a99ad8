using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Runs;

/// <summary>
/// What a run's machine reads but never replaces during a session: its prompts (deterministic from the options and
/// seed), the tokenizer, and the prompt index (the sampler's sum tree). The sampler is the one mutable part: it is far
/// too large to copy on every step (a million prompts), so the machine updates it in place at defined points — drawing
/// prompts when an iteration starts, recording a group's verdicts when its Prompt confirms them — and replaces it (same
/// counts, new options) at the iteration boundary where changed sampling options take effect.
/// <see cref="Images"/> is how the policy's vision encoder lays out image prompts (null for a text-only policy).
/// </summary>
public sealed class RunContext
{
    private readonly Dictionary<PromptId, int> _indexOf;

    public RunId RunId { get; }
    public TaskSuite Tasks { get; }
    public ITokenizer Tokenizer { get; }
    public PromptSampler Sampler { get; private set; }
    /// <summary>What the run evaluates every <c>eval.every-iterations</c> (and after SFT and at the end, for a whole learning curve).</summary>
    public IReadOnlyList<PromptRecord> Validation => Tasks.EvaluatedDuringRun;
    /// <summary>The held-out test set: evaluated after SFT and at the end only, the run's headline.</summary>
    public IReadOnlyList<PromptRecord> Test => Tasks.Test;
    public ImageLayout? Images { get; }

    public RunContext(RunId runId, TaskSuite tasks, ITokenizer tokenizer, SamplerOptions sampling, ImageLayout? images = null)
    {
        RunId = runId;
        Tasks = tasks;
        Tokenizer = tokenizer;
        Images = images;
        if (images is null && tasks.Train.Concat(tasks.Validation).Concat(tasks.Test).FirstOrDefault(p => p.HasImages) is { } image)
            throw new ArgumentException($"prompt {image.Id} has images but the policy has no vision encoder (set kimi.model.vision.enabled = on)");
        Sampler = new PromptSampler(tasks.Train.Select(p => p.Difficulty).ToList(), sampling);
        _indexOf = new Dictionary<PromptId, int>(tasks.Train.Count);
        for (int i = 0; i < tasks.Train.Count; i++) _indexOf[new PromptId(tasks.Train[i].Id)] = i;
    }

    /// <summary>The sampler under <paramref name="sampling"/> from now on, with every count it had (an iteration boundary only).</summary>
    public void ChangeSampling(SamplerOptions sampling)
    {
        if (Sampler.Options != sampling) Sampler = Sampler.WithOptions(sampling);
    }

    public PromptRecord Prompt(PromptId id) => Tasks.Train[_indexOf[id]];

    /// <summary>The image references of a training prompt (null for a text prompt): they travel with its requests and groups.</summary>
    public IReadOnlyList<Kimi.Actors.Tasks.Images.PromptImage>? ImagesOf(PromptId id) => Prompt(id) is { HasImages: true } p ? p.Images : null;

    /// <summary>The image layout of the policy a run's options describe: the init checkpoint's when there is one, else kimi.model's.</summary>
    public static ImageLayout? ImageLayoutOf(RunOptions options) =>
        (options.InitCheckpoint is { } init ? PolicyCheckpoint.ReadConfig(init) : options.Model).Vision?.Layout;

    public int? IndexOf(PromptId id) => _indexOf.TryGetValue(id, out int i) ? i : null;

    /// <summary>
    /// A fresh sampler under the same options: no counts, the curriculum at its start. A fallback to an earlier iteration
    /// rebuilds from there, since counts and curriculum levels only ever grow in place.
    /// </summary>
    public void ResetSampler() => Sampler = new PromptSampler(Tasks.Train.Select(p => p.Difficulty).ToList(), Sampler.Options);

    /// <summary>Sets the counts the journal holds; returns the prompt ids the prompt set does not know, ordered.</summary>
    public IReadOnlyList<PromptId> RestoreCounts(IReadOnlyDictionary<PromptId, PromptCounts> counts)
    {
        var unknown = new List<PromptId>();
        foreach (var (id, (attempts, successes)) in counts)
        {
            if (_indexOf.TryGetValue(id, out int index)) Sampler.Restore(index, attempts, successes);
            else unknown.Add(id);
        }
        unknown.Sort((a, b) => string.CompareOrdinal(a.Value, b.Value));
        return unknown;
    }
}
