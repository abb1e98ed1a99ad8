using System.Diagnostics;
using System.Text.Json;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Host.Tests.Support;
using Kimi.Actors.Reporting.Tests;
using Xunit.Abstractions;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// Image prompts learn, end to end through the CLI: <c>kimi train --preset vision-smoke</c> on the actor system trains a
/// policy with a vision encoder on the visual families and the text sum family, and held-out pass@1 on at least 200
/// image test prompts that share nothing with training (canonical forms: a drawn sum is the sum it draws, a scene what
/// sits in which cell) rises by the bar, +0.10; the preset measured +0.162 (0.432 to 0.594, BENCHMARKS.md) on
/// this machine.
/// The run folder has the per-domain and per-modality accuracies, the chart
/// of image against text prompts and a checkpoint whose config names its vision encoder.
/// </summary>
public sealed class VisionLearningTests(ITestOutputHelper output)
{
    [Fact]
    public void Vision_smoke_preset_gains_on_image_test_prompts_it_never_trained_on()
    {
        using var tmp = new TempFolder();
        var runDir = tmp.File("run");
        var wall = Stopwatch.StartNew();
        var result = CliRunner.Run(["train", "--preset", "vision-smoke", "--out", runDir, .. CliRunner.StorageIn(tmp.Path)]);
        output.WriteLine($"kimi train --preset vision-smoke: {wall.Elapsed.TotalSeconds:F0} s\n{result.Stdout}");
        Assert.True(result.ExitCode == 0, result.ToString());

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")));
        var s = summary.RootElement;
        Assert.Equal("vision-smoke", s.GetProperty("preset").GetString());
        var counts = s.GetProperty("heldout_count_by_modality");
        int images = counts.GetProperty("image").GetInt32(), texts = counts.GetProperty("text").GetInt32();
        Assert.True(images >= 200, $"{images} image test prompts");
        Assert.Equal(s.GetProperty("heldout_count").GetInt32(), images + texts);

        double sftImage = s.GetProperty("sft_accuracy_by_modality").GetProperty("image").GetDouble();
        double rlImage = s.GetProperty("rl_accuracy_by_modality").GetProperty("image").GetDouble();
        var sftDomain = s.GetProperty("sft_accuracy_by_domain");
        var rlDomain = s.GetProperty("rl_accuracy_by_domain");
        output.WriteLine($"image prompts: {sftImage:F3} -> {rlImage:F3} ({rlImage - sftImage:+0.000;-0.000}); " +
            string.Join(", ", rlDomain.EnumerateObject().Select(d => $"{d.Name} {sftDomain.GetProperty(d.Name).GetDouble():F3} -> {d.Value.GetDouble():F3}")));
        // RL that does not learn gains about 0; measured +0.162 at seed 1 on 2 cores, +0.179 and +0.188 at seeds 1 and 2 on
        // an H200 (BENCHMARKS.md), so the bar leaves about 0.06 for another machine's numerics.
        Assert.True(rlImage - sftImage >= 0.10, $"image prompts: rl {rlImage:F3} - sft {sftImage:F3} = {rlImage - sftImage:F3} < 0.10");
        Assert.Equal(["arithmetic", "visual-arithmetic", "visual-counting", "visual-scenes"], rlDomain.EnumerateObject().Select(d => d.Name).Order());
        Assert.Equal(["arithmetic", "visual-arithmetic", "visual-counting", "visual-scenes"], sftDomain.EnumerateObject().Select(d => d.Name).Order());

        // The end-of-run table has a row per domain and per modality.
        foreach (var row in new[] { "domain visual-arithmetic", "domain visual-counting", "domain visual-scenes", "domain arithmetic", "image prompts", "text prompts" })
            Assert.Contains(row, result.Stdout);

        // The chart of image against text prompts decodes and is not blank; TensorBoard has both at every test evaluation.
        using (var png = SkiaSharp.SKBitmap.Decode(Path.Combine(runDir, RunOutputWriter.ModalityChart)))
        {
            Assert.True(png is { Width: 640, Height: 400 }, RunOutputWriter.ModalityChart);
            Assert.True(png.Pixels.Distinct().Count() > 20, $"{RunOutputWriter.ModalityChart} is blank");
        }
        var scalars = TensorBoardReader.ReadScalars(Directory.GetFiles(runDir, "events.out.tfevents.*").Single());
        int iterations = s.GetProperty("iterations").GetInt32();
        var imageScalars = scalars.Where(e => e.Tag == "test/accuracy_image_prompts").ToList();
        Assert.Equal([0L, iterations], imageScalars.Select(e => e.Step));
        // summary.json rounds to 6 decimals.
        Assert.Equal(sftImage, imageScalars[0].Value, 5);
        Assert.Equal(rlImage, imageScalars[1].Value, 5);
        Assert.Equal([0L, iterations], scalars.Where(e => e.Tag == "test/accuracy_text_prompts").Select(e => e.Step));

        // The final checkpoint describes its vision encoder.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "checkpoints", "final", "config.json")));
        Assert.True(config.RootElement.TryGetProperty("vision_config", out var vision), "config.json has no vision_config");
        Assert.Equal(32, vision.GetProperty("image_size").GetInt32());
    }
}
