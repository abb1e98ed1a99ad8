using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Sampling;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// <c>prompt_stats.jsonl</c>: per prompt, the judged attempts and successes the run's journal holds for its committed
/// iterations, weakest first (lowest success rate, then prompt id). These are the counts the prioritised sampler draws
/// from, and exactly what a resumed run restores it from (<see cref="PromptIndexRebuild"/>); prompts never drawn are
/// left out.
/// </summary>
public static class PromptStatsFile
{
    /// <summary>The counts at the end of the run.</summary>
    public const string FileName = "prompt_stats.jsonl";

    /// <summary>A resumed run only: the counts it resumed from (those of the iterations committed before it started).</summary>
    public const string StartFileName = "prompt_stats_start.jsonl";

    public sealed record Row(
        [property: JsonPropertyName("prompt_id")] string PromptId,
        [property: JsonPropertyName("attempts")] long Attempts,
        [property: JsonPropertyName("successes")] long Successes,
        [property: JsonPropertyName("success_rate")] double SuccessRate);

    /// <summary>Reads the run's counts for iterations below <paramref name="upToIteration"/> from the journal and writes them.</summary>
    public static void WriteFromJournal(ActorSystem system, RunId runId, int upToIteration, string path) =>
        Write(path, PromptIndexRebuild.LoadAsync(system, runId, upToIteration).GetAwaiter().GetResult());

    public static void Write(string path, IReadOnlyDictionary<PromptId, PromptCounts> counts)
    {
        var lines = counts
            .Select(p => new Row(p.Key.Value, p.Value.Attempts, p.Value.Successes,
                p.Value.Attempts == 0 ? 0 : Math.Round((double)p.Value.Successes / p.Value.Attempts, 6)))
            .OrderBy(r => r.SuccessRate).ThenBy(r => r.PromptId, StringComparer.Ordinal)
            .Select(r => JsonSerializer.Serialize(r));
        File.WriteAllLines(path + ".tmp", lines);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>(attempts, successes) per prompt id, as written by <see cref="Write"/>.</summary>
    public static IReadOnlyDictionary<PromptId, PromptCounts> Read(string path)
    {
        var counts = new Dictionary<PromptId, PromptCounts>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var row = JsonSerializer.Deserialize<Row>(text) ?? throw new InvalidDataException($"{path}:{line}: empty row");
            counts.Add(new PromptId(row.PromptId), new PromptCounts(row.Attempts, row.Successes));
        }
        return counts;
    }
}
