using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests.Kubernetes;

/// <summary>
/// <c>kimi train --management-port</c>: the running node answers /healthz/ready and /healthz/live, and its /metrics
/// carries the run's iteration metrics (the same numbers as metrics.jsonl), entity counts, worker stats and journal
/// latency once an iteration has committed.
/// </summary>
public sealed class ManagementEndpointTests : IDisposable
{
    private readonly TempFolder _tmp = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The samples of a Prometheus text exposition: series (name with labels) to value.</summary>
    public static Dictionary<string, double> Samples(string exposition) => exposition.Split('\n')
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => (Series: l[..l.LastIndexOf(' ')], Value: l[(l.LastIndexOf(' ') + 1)..]))
        .ToDictionary(s => s.Series, s => double.Parse(s.Value, CultureInfo.InvariantCulture));

    private static (HttpStatusCode Status, string Body)? Get(string url)
    {
        try
        {
            using var response = Http.GetAsync(url).GetAwaiter().GetResult();
            return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
    }

    [Fact]
    public void A_training_node_is_ready_and_exports_the_iteration_metrics_after_an_iteration()
    {
        int port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        using var kimi = KimiProcess.Start(["train", "--config", TinyRun.WriteConfig(_tmp.Path), "--out", _tmp.File("run"),
            "--iterations", "3", "--management-port", port.ToString(CultureInfo.InvariantCulture),
            "--set", "kimi.persistence.sqlite-file=" + _tmp.File("kimi.db"), "--set", "kimi.management.metrics.poll-interval=300ms"]);
        kimi.WaitUntil(() => kimi.Stderr.Contains($"management endpoint {url}/"), TimeSpan.FromSeconds(60), "the management endpoint line");
        kimi.WaitUntil(() => Get($"{url}/healthz/ready") is { Status: HttpStatusCode.OK }, TimeSpan.FromSeconds(60), "ready (200)");
        var ready = JsonNode.Parse(Get($"{url}/healthz/ready")!.Value.Body)!;
        Assert.Equal("Up", (string)ready["member"]!);
        Assert.Equal("reachable", (string)ready["persistence"]!);
        Assert.Equal(HttpStatusCode.OK, Get($"{url}/healthz/live")!.Value.Status);

        var run = Regex.Match(kimi.Stderr, @"run (run-[0-9a-z-]+):").Groups[1].Value;
        Dictionary<string, double> metrics = [];
        string Series(string name, string label = "run") => $"{name}{{{label}=\"{(label == "run" ? run : "")}\"}}";
        kimi.WaitUntil(() =>
        {
            if (Get($"{url}/metrics") is not { Status: HttpStatusCode.OK } answer) return false;
            metrics = Samples(answer.Body);
            return metrics.ContainsKey(Series("kimi_iteration")) && metrics.Keys.Any(k => k.StartsWith("kimi_worker_queue_depth{"));
        }, TimeSpan.FromMinutes(4), "the first iteration's metrics on /metrics");
        Assert.Equal(0, kimi.WaitForExit(TimeSpan.FromMinutes(4)));

        // The values are the run's own: the row of metrics.jsonl for the iteration /metrics showed.
        int iteration = (int)metrics[Series("kimi_iteration")];
        var row = File.ReadLines(Path.Combine(_tmp.File("run"), "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Single(r => (int)r["iteration"]! == iteration);
        foreach (var key in new[] { "reward_mean", "accuracy", "rollout_tokens_per_s", "train_tokens_per_s", "weight_version", "pending_responses" })
            Assert.Equal((double)row[key]!, metrics[Series("kimi_" + key)], 9);
        Assert.True(metrics[Series("kimi_rollout_tokens_per_s")] > 0);
        Assert.True(metrics[Series("kimi_train_tokens_per_s")] > 0);
        Assert.True(metrics[Series("kimi_weight_version")] >= 1);
        // Entities on this node, the GPU workers' queues, restarts and weights, the journal's write latency.
        Assert.Equal(1, metrics["kimi_entities{type=\"run\"}"]);
        Assert.Equal(1, metrics["kimi_entities{type=\"trainer\"}"]);
        Assert.Equal(1, metrics["kimi_entities{type=\"rollout-generator\"}"]);
        Assert.True(metrics["kimi_entities{type=\"prompt\"}"] >= TinyRun.PromptsPerIteration);
        var worker = $"kimi_worker_queue_depth{{worker=\"{run}-rollout-0\"}}";
        Assert.True(metrics.ContainsKey(worker), string.Join("\n", metrics.Keys));
        Assert.Equal(0, metrics[$"kimi_worker_restarts{{worker=\"{run}-rollout-0\"}}"]);
        Assert.True(metrics[$"kimi_worker_weight_version{{worker=\"{run}-trainer\"}}"] >= 1);
        Assert.True(metrics["kimi_journal_write_seconds_count"] > 0);
        Assert.True(metrics["kimi_journal_write_seconds_sum"] > 0);
        Assert.Equal(0, metrics["kimi_journal_write_failures_total"]);
        Assert.All(metrics.Keys, k => Assert.StartsWith("kimi_", k));
    }

    public void Dispose() => _tmp.Dispose();
}
