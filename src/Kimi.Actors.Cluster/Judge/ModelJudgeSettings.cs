using System.Collections.Concurrent;
using Kimi.Actors.Model;
using Kimi.Actors.Rl.Judging.ModelJudges;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>
/// One entry of <c>kimi.judges.models</c>: the prompts of <paramref name="Domain"/> are judged by a model judge of
/// <paramref name="Kind"/> loaded from <paramref name="Checkpoint"/> (a folder <c>kimi judge train</c> writes) on
/// <paramref name="Device"/>, instead of the domain's rule verifier.
/// </summary>
public sealed record ModelJudgeSettings(string Domain, ModelJudgeKind Kind, string Checkpoint, string Device)
{
    private static readonly ConcurrentDictionary<(ModelJudgeKind, string, string), Lazy<ModelJudge>> Loaded = new();

    private string Key(string field) => $"{JudgeSettings.ConfigPath}.models.{Domain}.{field}";

    /// <summary>
    /// The judge, loaded once per process for a (kind, folder, device): every RewardJudge entity of a node shares it.
    /// </summary>
    /// <exception cref="ArgumentException">The checkpoint cannot be loaded or holds another kind of judge; names the key.</exception>
    public ModelJudge Load()
    {
        var path = Path.GetFullPath(Checkpoint);
        var lazy = Loaded.GetOrAdd((Kind, path, Device), _ => new Lazy<ModelJudge>(() =>
        {
            var judge = ModelJudge.Load(path, TorchRuntime.ResolveDevice(Device));
            if (judge.Kind == Kind) return judge;
            judge.Dispose();
            throw new ArgumentException($"{Key("kind")} = {Kind.Name()}, but {path} holds a {judge.Kind.Name()} judge");
        }));
        try { return lazy.Value; }
        // Whatever stops the load (a damaged folder, a device the machine lacks) is the setting's fault: named, not a crash.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failed load is not kept: the next start (a fixed folder) tries again.
            Loaded.TryRemove(new KeyValuePair<(ModelJudgeKind, string, string), Lazy<ModelJudge>>((Kind, path, Device), lazy));
            if (e is ArgumentException { Message: var m } && m.StartsWith(JudgeSettings.ConfigPath, StringComparison.Ordinal)) throw;
            throw new ArgumentException($"{Key("checkpoint")} = {Checkpoint}: {e.Message}", e);
        }
    }
}
