using System.Text.Json;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// What a new user would try: train, truncate the newest durable checkpoint (<c>checkpoints/&lt;run&gt;/v&lt;newest&gt;/model.safetensors</c>),
/// then <c>--resume</c>. The resume says which checkpoint is damaged and which one it fell back to, runs the iterations
/// after that one again, completes, and the audit finds nothing lost or doubled among the commits that count.
/// </summary>
public sealed class DamagedCheckpointTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void A_truncated_newest_checkpoint_falls_back_to_the_newest_intact_one_and_the_resumed_run_completes_exactly_once()
    {
        var config = TinyRun.WriteConfig(_tmp.Path);
        var first = CliRunner.Run(["train", "--config", config, "--out", _tmp.File("A"), "--iterations", "3", .. CliRunner.StorageIn(_tmp.Path)]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var runId = Summary("A").GetProperty("run_id").GetString()!;

        // SFT is version 1 and iterations 0..2 versions 2..4; three checkpoints are kept: v2, v3, v4.
        var runCheckpoints = Path.Combine(_tmp.Path, "checkpoints", runId);
        var kept = Directory.GetDirectories(runCheckpoints, "v*").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["v000002", "v000003", "v000004"], kept);
        var newest = Path.Combine(runCheckpoints, "v000004", "model.safetensors");
        using (var file = new FileStream(newest, FileMode.Open)) file.SetLength(file.Length / 2);

        var resumed = CliRunner.Run(["train", "--resume", runId, "--out", _tmp.File("B"), .. CliRunner.StorageIn(_tmp.Path)]);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        // The console wraps long lines at spaces; read the text as one line.
        var stderr = resumed.Stderr.Replace("\r", "").Replace("\n", "");
        foreach (var said in new[]
        {
            $"the checkpoint of iteration 3 ({Path.Combine(runCheckpoints, "v000004")}) is damaged",
            $"fell back to the checkpoint of iteration 2 ({Path.Combine(runCheckpoints, "v000003")}, republished as version 5)",
            "iterations 2..2 run again",
        })
            Assert.True(stderr.Contains(said), $"not said: {said}\n{resumed}");
        var b = Summary("B");
        Assert.Equal((2, 1), (b.GetProperty("start_iteration").GetInt32(), b.GetProperty("iterations").GetInt32()));
        // The re-run iteration trained from the republished version and was checkpointed above it.
        Assert.True(File.Exists(Path.Combine(runCheckpoints, "v000006", "model.safetensors")));

        var audit = CliRunner.Run(["runs", "audit", runId, "--json", .. CliRunner.StorageIn(_tmp.Path)]);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        var report = JsonDocument.Parse(audit.Stdout).RootElement;
        Assert.Equal(3, report.GetProperty("committed_iterations").GetInt32());
        Assert.Equal(0, report.GetProperty("lost").GetInt32());
        Assert.Equal(0, report.GetProperty("duplicated").GetInt32());
        Assert.Equal(0, report.GetProperty("unjudged").GetInt32());
        Assert.Equal(1, report.GetProperty("rolled_back_commits").GetInt32());
        Assert.True(report.GetProperty("exactly_once").GetBoolean());
        // Every trajectory of the three iterations that count trained once.
        Assert.Equal(3 * TinyRun.PromptsPerIteration * TinyRun.SamplesPerPrompt, report.GetProperty("trained").GetInt32());
    }

    private JsonElement Summary(string folder) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(_tmp.File(folder), "summary.json"))).RootElement.Clone();
}
